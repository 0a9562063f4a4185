"""The pipeline role's policy: derived from the compiled definitions, each Task state's Resource
mapped to its integration's handler (INTEGRATIONS), Map readers and writers, child executions and
the trigger rules' targets."""

from __future__ import annotations

import re
from typing import Callable, Mapping

from compiler.render import triggers as trigger_rules
from compiler.render.iam import (ecs_service_integrations, lambda_integrations, pipeline_integrations,
                                 sagemaker_endpoint_integrations)
from compiler.render.iam.parameter_values import ParameterValues, all_states
from compiler.render.iam.policy_document import Policy, iam_literal
from compiler.render.iam.service_call import Call, Scope, allow_kms_key
from compiler.render.naming import Naming


def pipeline_policy(naming: Naming, definitions: Mapping[str, dict]) -> Policy:
    config = naming.config
    scope = Scope(naming)
    for pipeline, definition in definitions.items():
        values = ParameterValues(definition)
        for name, state in all_states(definition):
            if state["Type"] == "Task":
                _task_state(scope, pipeline, name, state["Resource"], state.get("Parameters") or {}, values)
            elif state["Type"] == "Map":
                _map_state(scope, pipeline, name, state, values)
    # EventBridge assumes this role to start the model's state machines (triggers.json).
    for rule in trigger_rules.triggers(naming)["rules"]:
        for target in rule["Targets"]:
            if target.get("RoleArn") == config.platform.pipeline_role:
                scope.policy.allow("StartOwnExecutions", ["states:StartExecution"], [target["Arn"]])
    # The state machines are created with CloudWatch Logs logging and X-Ray tracing.
    scope.policy.allow_unscopable("StateMachineLogDelivery")
    scope.policy.allow_unscopable("XRayTracing")
    if config.platform.kms_key:
        # Objects under the model's prefix (metrics.json, batch manifests, map results) and the
        # SageMaker volumes and outputs the pipeline asks for are encrypted with the platform's key.
        allow_kms_key(scope, scope.policy, config.platform.kms_key, "pipeline")
    return scope.policy


_RESOURCE = re.compile(r"^arn:(?P<partition>aws[a-z-]*):states:::(?P<integration>.+)$")


def _task_state(scope: Scope, pipeline: str, name: str, resource: str, parameters: dict, values: ParameterValues) -> None:
    match = _RESOURCE.match(resource) if isinstance(resource, str) else None
    integration = match["integration"] if match else str(resource)
    call = Call(scope, pipeline, name, integration, parameters, values)
    handler = _HANDLERS.get(integration)
    if handler is None or match["partition"] != scope.platform.partition:
        raise call.fail("no IAM mapping for this Resource")
    handler(call)


def _map_state(scope: Scope, pipeline: str, name: str, state: dict, values: ParameterValues) -> None:
    for field, handlers in (("ItemReader", _ITEM_READERS), ("ResultWriter", _RESULT_WRITERS)):
        part = state.get(field)
        if not part:
            continue
        match = _RESOURCE.match(part.get("Resource", ""))
        integration = match["integration"] if match else str(part.get("Resource"))
        call = Call(scope, pipeline, f"{name} ({field})", integration, part.get("Parameters") or {}, values)
        handler = handlers.get(integration)
        if handler is None or match["partition"] != scope.platform.partition:
            raise call.fail(f"no IAM mapping for this {field} Resource")
        handler(call)
    processor = state.get("ItemProcessor") or {}
    if (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED":
        # A Distributed Map runs its item processor as child executions of this state machine.
        machine = scope.naming.state_machine(pipeline)
        scope.policy.allow("StartOwnExecutions", ["states:StartExecution"], [scope.naming.state_machine_arn(pipeline)])
        scope.policy.allow("ManageMapRuns", ["states:DescribeExecution", "states:StopExecution"],
                           [scope.arn("states", f"execution:{iam_literal(machine)}/*")])

#: Task state Resource (after `arn:<partition>:states:::`) -> what it needs: what every pipeline
#: may call, then each deploy target's own (a new target: its module, and a line here).
_HANDLERS: dict[str, Callable[[Call], None]] = {
    **pipeline_integrations.TASK_INTEGRATIONS,
    **sagemaker_endpoint_integrations.TASK_INTEGRATIONS,
    **lambda_integrations.TASK_INTEGRATIONS,
    **ecs_service_integrations.TASK_INTEGRATIONS,
}
_ITEM_READERS = pipeline_integrations.ITEM_READERS
_RESULT_WRITERS = pipeline_integrations.RESULT_WRITERS


def integrations() -> dict[str, tuple]:
    """The Resource integrations this module knows, by where they may appear (for tests and docs)."""
    return {"Task": tuple(sorted(_HANDLERS)), "ItemReader": tuple(sorted(_ITEM_READERS)),
            "ResultWriter": tuple(sorted(_RESULT_WRITERS))}
