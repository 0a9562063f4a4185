"""The IAM policies one model environment needs, derived from what its state machines call.

Two roles (docs/iam.md):

- **pipeline**: the role the state machines run as, and the role EventBridge assumes to start
  them (`triggers.json`). Its policy comes from the compiled definitions: every Task state's
  `Resource` (in Parallel branches and Map item processors too), a Distributed Map's
  ItemReader/ResultWriter and child executions, and the trigger rules' targets. Each
  integration maps to the IAM actions it needs (the `.sync` ones add their Describe/Stop calls
  and the EventBridge rule Step Functions manages for them), scoped to the resources the state's
  Parameters name (pipeline_role.py; the integrations every pipeline calls in
  pipeline_integrations.py, each deploy target's in <target>_integrations.py). An integration
  with no mapping is an internal error: a new template state cannot ship without its permissions.
- **task**: the role Fargate tasks (also as their ECS execution role), SageMaker jobs and
  serving containers run as. Its policy comes from the typed config: the data it reads and
  writes, the images it pulls, the logs it writes, the secrets it resolves (task_role.py).

Every statement has a stable Sid; actions and resources are sorted and unique, statements are
in Sid order, so the output is deterministic and a permission change is one readable diff
(policy_document.py).
"""

from __future__ import annotations

from typing import Mapping

from compiler.render.iam.pipeline_role import pipeline_policy
from compiler.render.iam.policy_document import Policy
from compiler.render.iam.task_role import task_policy
from compiler.render.naming import Naming

#: The services each role trusts (its AssumeRolePolicyDocument principals).
TRUSTED_SERVICES = {
    # Step Functions runs the state machines; EventBridge starts them (triggers.json RoleArn).
    "pipeline": ["events.amazonaws.com", "states.amazonaws.com"],
    # Fargate tasks (task role and execution role), SageMaker jobs, models and endpoints, and a
    # Lambda deploy's function (apply refuses a function with another role: compiler/apply/function.py).
    "task": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "sagemaker.amazonaws.com"],
}


def policies(naming: Naming, definitions: Mapping[str, dict]) -> dict:
    """{"pipeline": <IAM policy document>, "task": <IAM policy document>} for one model environment."""
    return {"pipeline": pipeline_policy(naming, definitions).document(),
            "task": task_policy(naming).document()}


def combined(documents) -> dict:
    """One policy document allowing what any of `documents` (made by `policies`) allows: the
    statements of one Sid merged. For a role several environments share (a per-model role, with
    dev and prod in one account): IAM allows a role 10,240 characters of inline policy in all,
    which two environments' separate policies can exceed."""
    policy = Policy()
    for document in documents:
        for statement in document["Statement"]:
            resources = statement["Resource"]
            policy.allow(statement["Sid"], statement["Action"], resources if isinstance(resources, list) else [resources],
                         statement.get("Condition"))
    return policy.document()


def roles(naming: Naming, definitions: Mapping[str, dict]) -> dict:
    """The content of iam.json: each role's ARN, trusted services and policy."""
    documents = policies(naming, definitions)
    arns = {"pipeline": naming.platform.pipeline_role, "task": naming.platform.task_role}
    return {"roles": {role: {"arn": arns[role], "trusted_services": list(TRUSTED_SERVICES[role]),
                             "policy": documents[role]}
                      for role in ("pipeline", "task")}}
