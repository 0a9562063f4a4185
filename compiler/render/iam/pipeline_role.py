"""The IAM policies one model environment needs, derived from what its state machines call.

Two roles (README, "Least privilege"):

- **pipeline**: the role the state machines run as, and the role EventBridge assumes to start
  them (`triggers.json`). Its policy comes from the compiled definitions: every Task state's
  `Resource` (in Parallel branches and Map item processors too), a Distributed Map's
  ItemReader/ResultWriter and child executions, and the trigger rules' targets. Each
  integration maps to the IAM actions it needs (the `.sync` ones add their Describe/Stop calls
  and the EventBridge rule Step Functions manages for them), scoped to the resources the state's
  Parameters name. An integration with no mapping here is an internal error: a new template
  state cannot ship without its permissions.
- **task**: the role Fargate tasks (also as their ECS execution role), SageMaker jobs and
  serving containers run as. Its policy comes from the typed config: the data it reads and
  writes, the images it pulls, the logs it writes, the secrets it resolves.

Every statement has a stable Sid; actions and resources are sorted and unique, statements are
in Sid order, so the output is deterministic and a permission change is one readable diff.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterator, Mapping, Optional

from compiler import names
from compiler.model import ModelConfig, Stage
from compiler.render import pointers as registry_pointers
from compiler.render import triggers as trigger_rules
from compiler.render.naming import TOKEN, Naming, container_stages
from compiler.render.alarms import MODEL_MONITOR_NAMESPACE

VERSION = "2012-10-17"

#: The services each role trusts (its AssumeRolePolicyDocument principals).
TRUSTED_SERVICES = {
    # Step Functions runs the state machines; EventBridge starts them (triggers.json RoleArn).
    "pipeline": ["events.amazonaws.com", "states.amazonaws.com"],
    # Fargate tasks (task role and execution role), SageMaker jobs, models and endpoints, and a
    # Lambda deploy's function (apply refuses a function with another role: compiler/apply/function.py).
    "task": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "sagemaker.amazonaws.com"],
}

#: The only statements with `"Resource": "*"`: Sid -> (actions, why no resource can be named).
#: Everything else is scoped to the model's own resources. Tests hold the policies to this list.
UNSCOPABLE = {
    # Step Functions' CloudWatch Logs logging: the vended-log delivery APIs take no resource.
    "StateMachineLogDelivery": (
        ("logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
         "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
         "logs:PutResourcePolicy", "logs:UpdateLogDelivery"),
        "CloudWatch Logs log-delivery APIs (Step Functions logging) take no resource ARN"),
    # X-Ray tracing of the state machines.
    "XRayTracing": (
        ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"),
        "X-Ray trace and sampling APIs take no resource ARN"),
    # SageMaker endpoint autoscaling (deploy): a scalable target's ARN ends with an id that
    # Application Auto Scaling assigns when it is registered, so it cannot be named beforehand.
    "EndpointAutoscaling": (
        ("application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy",
         "application-autoscaling:RegisterScalableTarget"),
        "scalable-target ARNs carry an id assigned at registration"),
    # Pulling images: the login token is for the registry, not a repository.
    "EcrLogin": (("ecr:GetAuthorizationToken",), "an ECR login token is for the whole registry"),
    # SageMaker jobs and endpoints in the platform's VPC: EC2 Describe calls take no resource.
    "DescribeNetwork": (
        ("ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
         "ec2:DescribeSubnets", "ec2:DescribeVpcs"),
        "EC2 Describe calls take no resource ARN"),
    # SageMaker containers' metrics: metric data has no ARN; a condition keeps SageMaker's namespaces.
    "SageMakerMetrics": (("cloudwatch:PutMetricData",), "metric data has no ARN (limited by namespace)"),
    # The model's own metrics (its drift job, an ecs-service's requests): only its namespace.
    "ModelMetrics": (("cloudwatch:PutMetricData",), "metric data has no ARN (limited to the model's namespace)"),
}
_UNSCOPABLE_CONDITIONS = {
    "SageMakerMetrics": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}},
}

#: The EventBridge rules Step Functions creates in the account to learn that a `.sync` job ended.
MANAGED_RULES = {
    "ecs:runTask.sync": "StepFunctionsGetEventsForECSTaskRule",
    "sagemaker:createProcessingJob.sync": "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
    "sagemaker:createTrainingJob.sync": "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "sagemaker:createHyperParameterTuningJob.sync": "StepFunctionsGetEventsForSageMakerTuningJobsRule",
}
#: SageMaker's service-linked role for endpoint autoscaling, created on first registration.
AUTOSCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
AUTOSCALING_ROLE = f"aws-service-role/{AUTOSCALING_SERVICE}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


class UnknownIntegration(RuntimeError):
    """A state calls something this module has no IAM mapping for, or names its resource in a way
    that cannot be scoped to the model (a bug in mlopsc: the templates and this module disagree)."""


def policies(config: ModelConfig, definitions: Mapping[str, dict]) -> dict:
    """{"pipeline": <IAM policy document>, "task": <IAM policy document>} for one model environment."""
    return {"pipeline": _pipeline_policy(config, definitions).document(),
            "task": _task_policy(config).document()}


def combined(documents) -> dict:
    """One policy document allowing what any of `documents` (made by `policies`) allows: the
    statements of one Sid merged. For a role several environments share (a per-model role, with
    dev and prod in one account): IAM allows a role 10,240 characters of inline policy in all,
    which two environments' separate policies can exceed."""
    policy = _Policy()
    for document in documents:
        for statement in document["Statement"]:
            resources = statement["Resource"]
            policy.allow(statement["Sid"], statement["Action"], resources if isinstance(resources, list) else [resources],
                         statement.get("Condition"))
    return policy.document()


def roles(config: ModelConfig, definitions: Mapping[str, dict]) -> dict:
    """The content of iam.json: each role's ARN, trusted services and policy."""
    documents = policies(config, definitions)
    arns = {"pipeline": config.platform.pipeline_role, "task": config.platform.task_role}
    return {"roles": {role: {"arn": arns[role], "trusted_services": list(TRUSTED_SERVICES[role]),
                             "policy": documents[role]}
                      for role in ("pipeline", "task")}}


# --------------------------------------------------------------------------- policy documents

class _Policy:
    """Statements by Sid. Adding to an existing Sid unions actions, resources and condition values
    (the condition's operators and keys must be the same: that is a bug otherwise)."""

    def __init__(self):
        self._statements: dict[str, dict] = {}

    def allow(self, sid: str, actions, resources, condition: Optional[dict] = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9]+", sid):
            raise RuntimeError(f"IAM statement ids are alphanumeric: {sid!r}")
        condition = {op: {key: set(values) for key, values in keys.items()} for op, keys in (condition or {}).items()}
        entry = self._statements.setdefault(sid, {"actions": set(), "resources": set(), "condition": None})
        if entry["condition"] is None:
            entry["condition"] = condition
        elif _shape(entry["condition"]) != _shape(condition):
            raise RuntimeError(f"IAM statement {sid}: conditions of different shapes cannot share a statement")
        else:
            for op, keys in condition.items():
                for key, values in keys.items():
                    entry["condition"][op][key] |= values
        entry["actions"].update(actions)
        entry["resources"].update(resources)
        if "*" in entry["resources"] and (len(entry["resources"]) > 1 or sid not in UNSCOPABLE):
            raise RuntimeError(f"IAM statement {sid}: '*' only in the statements listed in UNSCOPABLE")

    def allow_unscopable(self, sid: str, condition: Optional[dict] = None) -> None:
        """An UNSCOPABLE statement, with its fixed condition or the one given."""
        actions, _why = UNSCOPABLE[sid]
        self.allow(sid, actions, ["*"], condition or _UNSCOPABLE_CONDITIONS.get(sid))

    def document(self) -> dict:
        statements = []
        for sid in sorted(self._statements):
            entry = self._statements[sid]
            resources = sorted(entry["resources"])
            statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(entry["actions"]),
                         "Resource": "*" if resources == ["*"] else resources}
            if entry["condition"]:
                statement["Condition"] = {op: {key: sorted(values) for key, values in sorted(keys.items())}
                                          for op, keys in sorted(entry["condition"].items())}
            statements.append(statement)
        return {"Version": VERSION, "Statement": statements}


def _shape(condition: dict) -> set:
    return {(op, key) for op, keys in condition.items() for key in keys}


def iam_literal(text: str) -> str:
    """Text as IAM matches it literally: `*`, `?` and `$` would be wildcards or variables."""
    return re.sub(r"[*?$]", lambda m: "${" + m.group(0) + "}", text)


# --------------------------------------------------------------------------- what a parameter evaluates to

class _Values:
    """What JSONPath values and intrinsic functions in a definition's Parameters evaluate to, as
    IAM patterns: literal text kept (escaped), a run token as exactly 8 `?`, anything only known
    at run time as `*`. JSONPaths set by Pass states (e.g. `$.deployment.model`) are followed."""

    def __init__(self, definition: dict):
        self.assigned: dict[str, set] = {}
        for _, state in _states(definition):
            parameters, result_path = state.get("Parameters"), state.get("ResultPath")
            if state["Type"] != "Pass" or not isinstance(parameters, dict) or not isinstance(result_path, str):
                continue
            for key, value in parameters.items():
                if key.endswith(".$") and isinstance(value, str):
                    self.assigned.setdefault(f"{result_path}.{key[:-2]}", set()).add(value)

    def parameter(self, parameters: dict, key: str) -> Optional[str]:
        """The pattern of parameters[key] (or of `key.$`); None if it cannot be known."""
        if key in parameters:
            value = parameters[key]
            return iam_literal(value) if isinstance(value, str) else None
        return self.expression(parameters.get(f"{key}.$"))

    def expression(self, expression, depth: int = 0) -> Optional[str]:
        if not isinstance(expression, str) or depth > 8:
            return None
        if expression == TOKEN:
            return "?" * names.RUN_TOKEN_LENGTH
        if expression.startswith("States.Format("):
            template, arguments = _format_call(expression)
            pieces = iter(self.expression(argument, depth + 1) or "*" for argument in arguments)
            return "".join(next(pieces) if piece is None else iam_literal(piece) for piece in template)
        if expression.startswith("$") and not expression.startswith("$$"):
            candidates = self.assigned.get(expression, set()) - {expression}
            if len(candidates) == 1:
                return self.expression(next(iter(candidates)), depth + 1)
        return None


_FORMAT = re.compile(r"^States\.Format\('((?:[^'\\]|\\.)*)'(.*)\)$", re.S)


def _format_call(expression: str) -> tuple[list, list]:
    """A States.Format call -> (template as literal pieces and None for each `{}`, arguments)."""
    match = _FORMAT.match(expression)
    if not match:
        raise RuntimeError(f"not a States.Format call: {expression}")
    raw, rest = match.group(1), match.group(2).strip()
    pieces: list = []
    text, i = "", 0
    while i < len(raw):
        if raw[i] == "\\":
            text += raw[i + 1]
            i += 2
        elif raw.startswith("{}", i):
            pieces += [text, None]
            text, i = "", i + 2
        else:
            text += raw[i]
            i += 1
    pieces.append(text)
    arguments = _split_arguments(rest[1:]) if rest.startswith(",") else []
    if len(arguments) != pieces.count(None):
        raise RuntimeError(f"States.Format with {pieces.count(None)} placeholders and {len(arguments)} arguments")
    return pieces, arguments


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated arguments (quotes and parentheses respected)."""
    arguments, depth, current, quoted, escaped = [], 0, "", False, False
    for char in text:
        if escaped:
            current, escaped = current + char, False
            continue
        if char == "\\":
            escaped = True
        elif char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            arguments.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        arguments.append(current.strip())
    return arguments


# --------------------------------------------------------------------------- the pipeline role

def _states(definition: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(name, state) for every state, including those of Map item processors and Parallel branches."""
    for name, state in definition.get("States", {}).items():
        yield prefix + name, state
        for processor in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", ())):
            if processor:
                yield from _states(processor, f"{prefix}{name} / ")


class _Call:
    """One service call of one state, with what the handlers need to scope it."""

    def __init__(self, scope: "_Scope", pipeline: str, state: str, integration: str, parameters: dict,
                 values: _Values):
        self.scope, self.pipeline, self.state, self.integration = scope, pipeline, state, integration
        self.parameters, self.values = parameters, values

    @property
    def policy(self) -> _Policy:
        return self.scope.policy

    def fail(self, why: str) -> UnknownIntegration:
        return UnknownIntegration(f"{self.pipeline}.asl.json, state '{self.state}' ({self.integration}): {why}; "
                                  "mlopsc cannot derive its IAM permissions (compiler/render/iam.py)")

    def literal(self, key: str) -> str:
        value = self.parameters.get(key)
        if not isinstance(value, str):
            raise self.fail(f"parameter {key} is not a literal string")
        return value

    def pattern(self, key: str) -> str:
        """A name parameter as an IAM pattern; names must be known up to their run token."""
        pattern = self.values.parameter(self.parameters, key)
        if pattern is None or pattern.startswith("*"):
            raise self.fail(f"parameter {key} names no resource known at compile time")
        return pattern

    def pass_role(self, *keys: str, service: str) -> None:
        for key in keys:
            role = self.literal(key)
            if role != self.scope.config.platform.task_role:
                raise self.fail(f"{key} passes {role}, not the task role")
            self.policy.allow("PassTaskRole", ["iam:PassRole"], [role],
                              {"StringEquals": {"iam:PassedToService": [service]}})

    def managed_rule(self) -> None:
        rule = MANAGED_RULES[self.integration]
        self.policy.allow("SyncIntegrationRules", ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
                          [self.scope.arn("events", f"rule/{rule}")])


class _Scope:
    """The model environment's names and ARNs, and the policy being built."""

    def __init__(self, config: ModelConfig):
        self.config = config
        self.naming = Naming(config)
        self.platform = config.platform
        self.policy = _Policy()

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        return self.naming.arn(service, resource, regional)

    def s3(self, bucket: str, key: str = "") -> str:
        """An S3 bucket ARN, or of the objects matching `key` (an IAM pattern) in it."""
        return f"arn:{self.platform.partition}:s3:::{bucket}" + (f"/{key}" if key else "")

    def model_objects(self, call: _Call, bucket: str, key: str) -> str:
        """Objects the pipeline reads or writes: only under `<model>/` in the artifact bucket."""
        if bucket != self.platform.artifact_bucket or not key.startswith(iam_literal(self.config.name) + "/"):
            raise call.fail(f"s3://{bucket}/{key} is outside the model's prefix of the artifact bucket")
        return self.s3(bucket, key)


def _pipeline_policy(config: ModelConfig, definitions: Mapping[str, dict]) -> _Policy:
    scope = _Scope(config)
    for pipeline, definition in definitions.items():
        values = _Values(definition)
        for name, state in _states(definition):
            if state["Type"] == "Task":
                _task_state(scope, pipeline, name, state["Resource"], state.get("Parameters") or {}, values)
            elif state["Type"] == "Map":
                _map_state(scope, pipeline, name, state, values)
    # EventBridge assumes this role to start the model's state machines (triggers.json).
    for rule in trigger_rules.triggers(config)["rules"]:
        for target in rule["Targets"]:
            if target.get("RoleArn") == config.platform.pipeline_role:
                scope.policy.allow("StartOwnExecutions", ["states:StartExecution"], [target["Arn"]])
    # The state machines are created with CloudWatch Logs logging and X-Ray tracing.
    scope.policy.allow_unscopable("StateMachineLogDelivery")
    scope.policy.allow_unscopable("XRayTracing")
    if config.platform.kms_key:
        # Objects under the model's prefix (metrics.json, batch manifests, map results) and the
        # SageMaker volumes and outputs the pipeline asks for are encrypted with the platform's key.
        _kms(scope, scope.policy, config.platform.kms_key, "pipeline")
    return scope.policy


_RESOURCE = re.compile(r"^arn:(?P<partition>aws[a-z-]*):states:::(?P<integration>.+)$")


def _task_state(scope: _Scope, pipeline: str, name: str, resource: str, parameters: dict, values: _Values) -> None:
    match = _RESOURCE.match(resource) if isinstance(resource, str) else None
    integration = match["integration"] if match else str(resource)
    call = _Call(scope, pipeline, name, integration, parameters, values)
    handler = _HANDLERS.get(integration)
    if handler is None or match["partition"] != scope.platform.partition:
        raise call.fail("no IAM mapping for this Resource")
    handler(call)


def _map_state(scope: _Scope, pipeline: str, name: str, state: dict, values: _Values) -> None:
    for field, handlers in (("ItemReader", _ITEM_READERS), ("ResultWriter", _RESULT_WRITERS)):
        part = state.get(field)
        if not part:
            continue
        match = _RESOURCE.match(part.get("Resource", ""))
        integration = match["integration"] if match else str(part.get("Resource"))
        call = _Call(scope, pipeline, f"{name} ({field})", integration, part.get("Parameters") or {}, values)
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


# --------------------------------------------------------------------------- integrations

def _dynamodb(action: str, call: _Call) -> None:
    table = call.literal("TableName")
    if table != call.scope.platform.registry_table:
        raise call.fail(f"table {table} is not the registry table")
    key = call.parameters.get("Key") or call.parameters.get("Item") or {}
    partition_key = (key.get("pk") or {}).get("S")
    if partition_key != call.scope.naming.model_key:
        raise call.fail("the item's partition key is not the model's literal MODEL#<model>")
    call.policy.allow("RegistryItems", [action], [call.scope.arn("dynamodb", f"table/{iam_literal(table)}")],
                      {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [partition_key]}})


def _sns_publish(call: _Call) -> None:
    call.policy.allow("Notify", ["sns:Publish"], [call.literal("TopicArn")])


def _put_events(call: _Call) -> None:
    entries = call.parameters.get("Entries")
    if not isinstance(entries, list) or not entries:
        raise call.fail("no literal Entries")
    for entry in entries:
        bus, source = entry.get("EventBusName"), entry.get("Source")
        if not isinstance(bus, str) or not isinstance(source, str):
            raise call.fail("an entry without a literal EventBusName and Source")
        call.policy.allow("PublishEvents", ["events:PutEvents"], [call.scope.arn("events", f"event-bus/{iam_literal(bus)}")],
                          {"StringEquals": {"events:source": [source]}})


_TASK_DEFINITION = re.compile(r"\.task_definitions\.M\['(?P<key>[^']+)'\]\.S$")


def _run_task(call: _Call) -> None:
    scope = call.scope
    cluster = call.literal("Cluster")
    if cluster != scope.platform.ecs_cluster:
        raise call.fail(f"cluster {cluster} is not the platform's")
    cluster_arn = scope.arn("ecs", f"cluster/{iam_literal(cluster)}")
    match = _TASK_DEFINITION.search(str(call.parameters.get("TaskDefinition.$", "")))
    families = registry_pointers.pointers(scope.config)["task_definitions"]
    if not match or match["key"] not in families:
        raise call.fail("TaskDefinition is not one of the model's task definition pointers")
    family = families[match["key"]]["family"]
    call.policy.allow("RunFargateTasks", ["ecs:RunTask"], [scope.arn("ecs", f"task-definition/{iam_literal(family)}:*")],
                      {"ArnEquals": {"ecs:cluster": [cluster_arn]}})
    tasks = scope.arn("ecs", f"task/{iam_literal(cluster)}/*")
    call.policy.allow("ManageFargateTasks", ["ecs:DescribeTasks", "ecs:StopTask"], [tasks])
    call.policy.allow("TagEcsOnCreate", ["ecs:TagResource"], [tasks], {"StringEquals": {"ecs:CreateAction": ["RunTask"]}})
    # The task definitions apply registers run as the task role (task and execution role).
    call.policy.allow("PassTaskRole", ["iam:PassRole"], [scope.platform.task_role],
                      {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}})
    call.managed_rule()


def _sagemaker_job(kind: str, resource_type: str, name_key: str, extra: tuple, call: _Call) -> None:
    """A `.sync` SageMaker job: create, and the Describe/Stop/ListTags calls Step Functions makes."""
    name = call.pattern(name_key).lower()  # SageMaker ARNs hold names in lowercase
    actions = [f"sagemaker:Create{kind}", f"sagemaker:Describe{kind}", f"sagemaker:Stop{kind}",
               "sagemaker:AddTags", "sagemaker:ListTags", *extra]
    call.policy.allow("SageMakerJobs", actions, [call.scope.arn("sagemaker", f"{resource_type}/{name}")])
    # The job runs as the role it names (a tuning job: in its training job definition).
    holder = call.parameters if "RoleArn" in call.parameters else call.parameters.get("TrainingJobDefinition") or {}
    _Call(call.scope, call.pipeline, call.state, call.integration, holder, call.values).pass_role(
        "RoleArn", service="sagemaker.amazonaws.com")
    call.managed_rule()


def _create_model(call: _Call) -> None:
    name = call.pattern("ModelName").lower()
    call.policy.allow("SageMakerEndpoint", ["sagemaker:AddTags", "sagemaker:CreateModel"],
                      [call.scope.arn("sagemaker", f"model/{name}")])
    call.pass_role("ExecutionRoleArn", service="sagemaker.amazonaws.com")


def _create_endpoint_config(call: _Call) -> None:
    name = call.pattern("EndpointConfigName").lower()
    call.policy.allow("SageMakerEndpoint", ["sagemaker:AddTags", "sagemaker:CreateEndpointConfig"],
                      [call.scope.arn("sagemaker", f"endpoint-config/{name}")])


def _endpoint(action: str, call: _Call) -> None:
    resources = [call.scope.arn("sagemaker", f"endpoint/{call.pattern('EndpointName').lower()}")]
    actions = [action]
    if action != "sagemaker:DescribeEndpoint":  # create and update name the endpoint config too
        resources.append(call.scope.arn("sagemaker", f"endpoint-config/{call.pattern('EndpointConfigName').lower()}"))
    if action == "sagemaker:CreateEndpoint":
        actions.append("sagemaker:AddTags")
    call.policy.allow("SageMakerEndpoint", actions, resources)
    rollback = ((call.parameters.get("DeploymentConfig") or {}).get("AutoRollbackConfiguration") or {}).get("Alarms")
    if rollback:
        _read_alarms(call, [alarm.get("AlarmName") for alarm in rollback])


def _describe_endpoint_config(call: _Call) -> None:
    """The config the endpoint serves now (read for its instance type): one the deploy pipeline
    created, so named with the endpoint's config prefix and a run token."""
    if call.parameters.get("EndpointConfigName.$") != "$.endpoint.EndpointConfigName":
        raise call.fail("EndpointConfigName is not the endpoint's current config")
    prefix = names.job_prefix(call.scope.config.deploy.endpoint.name, "config", "endpoint_config").lower()
    call.policy.allow("SageMakerEndpoint", ["sagemaker:DescribeEndpointConfig"],
                      [call.scope.arn("sagemaker", f"endpoint-config/{iam_literal(prefix)}-*")])


def _monitoring_schedule(action: str, call: _Call) -> None:
    """The endpoint's Model Monitor schedule, by its fixed name; its jobs run as the task role."""
    name = call.pattern("MonitoringScheduleName").lower()
    actions = [action] + (["sagemaker:AddTags"] if "Tags" in call.parameters else [])
    call.policy.allow("SageMakerMonitoring", actions, [call.scope.arn("sagemaker", f"monitoring-schedule/{name}")])
    definition = (call.parameters.get("MonitoringScheduleConfig") or {}).get("MonitoringJobDefinition") or {}
    _Call(call.scope, call.pipeline, call.state, call.integration, definition, call.values).pass_role(
        "RoleArn", service="sagemaker.amazonaws.com")


_SCALABLE_ENDPOINT = re.compile(r"^endpoint/(?P<name>[^/]+)/variant/[^/]+$")


def _endpoint_autoscaling(call: _Call) -> None:
    if call.literal("ServiceNamespace") != "sagemaker":
        raise call.fail("only SageMaker endpoint variants are scaled")
    match = _SCALABLE_ENDPOINT.match(call.literal("ResourceId"))
    if not match:
        raise call.fail("ResourceId is not a SageMaker endpoint variant")
    call.policy.allow_unscopable("EndpointAutoscaling")
    # Application Auto Scaling checks that its caller may do what it will do on the caller's
    # behalf (Application Auto Scaling User Guide, "Permissions required for API actions on
    # target services and CloudWatch"): read and resize the endpoint and read its endpoint
    # configs (the deploy pipeline's, by their prefix) ...
    endpoint = match["name"].lower()
    config_prefix = names.job_prefix(endpoint, "config", "endpoint_config")  # as _describe_endpoint_config
    call.policy.allow("EndpointAutoscalingTarget",
                      ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig",
                       "sagemaker:UpdateEndpointWeightsAndCapacities"],
                      [call.scope.arn("sagemaker", f"endpoint/{iam_literal(endpoint)}"),
                       call.scope.arn("sagemaker", f"endpoint-config/{iam_literal(config_prefix)}-*")])
    # ... and, for a target tracking policy, create, read and delete the CloudWatch alarms it
    # manages: they are named `TargetTracking-<ResourceId>-Alarm...` (the resource is scoped as
    # AWSApplicationAutoscalingSageMakerEndpointPolicy scopes it: `alarm:TargetTracking*`).
    call.policy.allow("TargetTrackingAlarms",
                      ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"],
                      [call.scope.arn("cloudwatch", f"alarm:TargetTracking-{iam_literal(call.literal('ResourceId'))}-*")])
    # The first registration in an account creates SageMaker's autoscaling service-linked role.
    call.policy.allow("AutoscalingServiceLinkedRole", ["iam:CreateServiceLinkedRole"],
                      [call.scope.arn("iam", f"role/{AUTOSCALING_ROLE}", regional=False)],
                      {"StringEquals": {"iam:AWSServiceName": [AUTOSCALING_SERVICE]}})


def _describe_execution(call: _Call) -> None:
    """The deploy pipeline asks whether the execution its lock names still runs: executions of
    this pipeline's own state machine only."""
    if call.parameters.get("ExecutionArn.$") != "$.running.Item.execution.S":
        raise call.fail("ExecutionArn is not the execution the deployment lock names")
    machine = call.scope.naming.state_machine(call.pipeline)
    call.policy.allow("DeploymentLock", ["states:DescribeExecution"],
                      [call.scope.arn("states", f"execution:{iam_literal(machine)}:*")])


def _put_rollback_alarm(call: _Call) -> None:
    """The deploy pipeline's rollback alarms of the version it deploys (`<model>-<env>-rollback-*`)."""
    name = call.literal("AlarmName")
    if not name.startswith(call.scope.naming.alarm("rollback-")) or call.pipeline != "deploy":
        raise call.fail(f"{name} is not a rollback alarm of the model's deployments")
    call.policy.allow("RollbackAlarms", ["cloudwatch:PutMetricAlarm"],
                      [call.scope.arn("cloudwatch", f"alarm:{iam_literal(name)}")])


def _describe_alarms(call: _Call) -> None:
    _read_alarms(call, call.parameters.get("AlarmNames"))


def _read_alarms(call: _Call, alarms) -> None:
    """The rollback alarms: read by the pipeline (Lambda traffic shifting) and checked by the
    SageMaker and ECS deployments the pipeline starts with them."""
    if not isinstance(alarms, list) or not alarms or not all(isinstance(a, str) for a in alarms):
        raise call.fail("the alarm names are not a literal list")
    call.policy.allow("ReadRollbackAlarms", ["cloudwatch:DescribeAlarms"],
                      [call.scope.arn("cloudwatch", f"alarm:{iam_literal(alarm)}") for alarm in alarms])


def _function(action: str, call: _Call) -> None:
    function = iam_literal(call.literal("FunctionName"))
    # Versions and aliases are qualified ARNs of the function (`function:<name>:<qualifier>`).
    call.policy.allow("DeployFunction", [action],
                      [call.scope.arn("lambda", f"function:{function}"), call.scope.arn("lambda", f"function:{function}:*")])


_IMAGE = re.compile(r"\.images\.M\['(?P<runtime>[^']+)'\]\.S$")


def _update_function_code(call: _Call) -> None:
    _function("lambda:UpdateFunctionCode", call)
    match = _IMAGE.search(str(call.parameters.get("ImageUri.$", "")))
    runtimes = {runtime.name for runtime in call.scope.config.runtimes}
    if not match or match["runtime"] not in runtimes:
        raise call.fail("ImageUri is not one of the model's image pointers")
    # Lambda reads a container image with the deploying role's ECR permissions; the repository
    # policy that lets Lambda pull is the model stack's (compiler/bootstrap/model_stack.py), never set
    # by this role: ecr:SetRepositoryPolicy could open the repository to anyone.
    repository = call.scope.naming.repository(match["runtime"])
    call.policy.allow("FunctionImage", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy"],
                      [call.scope.arn("ecr", f"repository/{iam_literal(repository)}")])


def _register_task_definition(call: _Call) -> None:
    family = iam_literal(call.literal("Family"))
    definition = call.scope.arn("ecs", f"task-definition/{family}:*")
    call.policy.allow("DeployService", ["ecs:RegisterTaskDefinition"], [definition])
    call.policy.allow("TagEcsOnCreate", ["ecs:TagResource"], [definition],
                      {"StringEquals": {"ecs:CreateAction": ["RegisterTaskDefinition"]}})
    call.pass_role("TaskRoleArn", "ExecutionRoleArn", service="ecs-tasks.amazonaws.com")


def _service_arn(call: _Call, key: str) -> str:
    cluster = call.literal("Cluster")
    if cluster != call.scope.platform.ecs_cluster:
        raise call.fail(f"cluster {cluster} is not the platform's")
    value = call.parameters.get(key)
    services = value if isinstance(value, list) else [value]
    if len(services) != 1 or not isinstance(services[0], str):
        raise call.fail(f"{key} does not name one service")
    return call.scope.arn("ecs", f"service/{iam_literal(cluster)}/{iam_literal(services[0])}")


def _ecs_service(action: str, key: str, call: _Call) -> None:
    service = _service_arn(call, key)
    call.policy.allow("DeployService", [action], [service])
    if action == "ecs:CreateService":
        call.policy.allow("TagEcsOnCreate", ["ecs:TagResource"], [service],
                          {"StringEquals": {"ecs:CreateAction": ["CreateService"]}})
    alarms = ((call.parameters.get("DeploymentConfiguration") or {}).get("Alarms") or {}).get("AlarmNames")
    if alarms:
        _read_alarms(call, alarms)


def _s3_object(sid: str, actions: tuple, key_parameter: str, call: _Call) -> None:
    bucket = call.literal("Bucket")
    key = call.values.parameter(call.parameters, key_parameter)
    if key is None:
        raise call.fail(f"{key_parameter} is not known at compile time")
    call.policy.allow(sid, actions, [call.scope.model_objects(call, bucket, key)])


def _list_objects(call: _Call) -> None:
    """A Distributed Map's ItemReader listing the batch input."""
    bucket, prefix = call.literal("Bucket"), call.parameters.get("Prefix", "")
    if not isinstance(prefix, str):
        raise call.fail("Prefix is not a literal")
    _list_bucket(call.policy, "ListBatchInput", call.scope.s3(bucket), prefix)


def _write_results(call: _Call) -> None:
    """A Distributed Map's ResultWriter: manifest and result files under the prefix."""
    bucket = call.literal("Bucket")
    prefix = call.values.parameter(call.parameters, "Prefix")
    if prefix is None:
        raise call.fail("Prefix is not known at compile time")
    call.policy.allow("WriteMapResults", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts",
                                          "s3:PutObject"],
                      [call.scope.model_objects(call, bucket, prefix.rstrip("/") + "/*")])


def _list_bucket(policy: _Policy, sid: str, bucket_arn: str, prefix: str) -> None:
    """ListBucket on a bucket, only for keys under `prefix` (all of them for an empty prefix)."""
    condition = {"StringLike": {"s3:prefix": [iam_literal(prefix) + "*"]}} if prefix else None
    policy.allow(sid, ["s3:ListBucket"], [bucket_arn], condition)


_SYNC_JOBS = {
    "sagemaker:createProcessingJob.sync": ("ProcessingJob", "processing-job", "ProcessingJobName", ()),
    "sagemaker:createTrainingJob.sync": ("TrainingJob", "training-job", "TrainingJobName", ()),
    "sagemaker:createHyperParameterTuningJob.sync": (
        "HyperParameterTuningJob", "hyper-parameter-tuning-job", "HyperParameterTuningJobName",
        ("sagemaker:ListTrainingJobsForHyperParameterTuningJob",)),
}

#: Task state Resource (after `arn:<partition>:states:::`) -> what it needs.
_HANDLERS: dict[str, Callable[[_Call], None]] = {
    "dynamodb:getItem": functools.partial(_dynamodb, "dynamodb:GetItem"),
    "dynamodb:putItem": functools.partial(_dynamodb, "dynamodb:PutItem"),
    "dynamodb:updateItem": functools.partial(_dynamodb, "dynamodb:UpdateItem"),
    "sns:publish": _sns_publish,
    "events:putEvents": _put_events,
    "ecs:runTask.sync": _run_task,
    **{integration: functools.partial(_sagemaker_job, *spec) for integration, spec in _SYNC_JOBS.items()},
    "sagemaker:createModel": _create_model,
    "sagemaker:createEndpointConfig": _create_endpoint_config,
    "sagemaker:createEndpoint": functools.partial(_endpoint, "sagemaker:CreateEndpoint"),
    "sagemaker:updateEndpoint": functools.partial(_endpoint, "sagemaker:UpdateEndpoint"),
    "aws-sdk:sagemaker:describeEndpoint": functools.partial(_endpoint, "sagemaker:DescribeEndpoint"),
    "aws-sdk:sagemaker:describeEndpointConfig": _describe_endpoint_config,
    "aws-sdk:sagemaker:createMonitoringSchedule": functools.partial(_monitoring_schedule,
                                                                    "sagemaker:CreateMonitoringSchedule"),
    "aws-sdk:sagemaker:updateMonitoringSchedule": functools.partial(_monitoring_schedule,
                                                                    "sagemaker:UpdateMonitoringSchedule"),
    "aws-sdk:applicationautoscaling:deregisterScalableTarget": _endpoint_autoscaling,
    "aws-sdk:applicationautoscaling:registerScalableTarget": _endpoint_autoscaling,
    "aws-sdk:applicationautoscaling:putScalingPolicy": _endpoint_autoscaling,
    "aws-sdk:cloudwatch:describeAlarms": _describe_alarms,
    "aws-sdk:cloudwatch:putMetricAlarm": _put_rollback_alarm,
    "aws-sdk:sfn:describeExecution": _describe_execution,
    "aws-sdk:lambda:getFunctionConfiguration": functools.partial(_function, "lambda:GetFunctionConfiguration"),
    "aws-sdk:lambda:updateFunctionConfiguration": functools.partial(_function, "lambda:UpdateFunctionConfiguration"),
    "aws-sdk:lambda:updateFunctionCode": _update_function_code,
    "aws-sdk:lambda:publishVersion": functools.partial(_function, "lambda:PublishVersion"),
    "aws-sdk:lambda:getAlias": functools.partial(_function, "lambda:GetAlias"),
    "aws-sdk:lambda:createAlias": functools.partial(_function, "lambda:CreateAlias"),
    "aws-sdk:lambda:updateAlias": functools.partial(_function, "lambda:UpdateAlias"),
    "aws-sdk:ecs:registerTaskDefinition": _register_task_definition,
    "aws-sdk:ecs:describeServices": functools.partial(_ecs_service, "ecs:DescribeServices", "Services"),
    "aws-sdk:ecs:createService": functools.partial(_ecs_service, "ecs:CreateService", "ServiceName"),
    "aws-sdk:ecs:updateService": functools.partial(_ecs_service, "ecs:UpdateService", "Service"),
    "aws-sdk:s3:getObject": functools.partial(_s3_object, "ReadMetrics", ("s3:GetObject",), "Key"),
    "aws-sdk:s3:putObject": functools.partial(_s3_object, "WriteBatchManifests", ("s3:PutObject",), "Key"),
}
_ITEM_READERS: dict[str, Callable[[_Call], None]] = {"s3:listObjectsV2": _list_objects}
_RESULT_WRITERS: dict[str, Callable[[_Call], None]] = {"s3:putObject": _write_results}


def integrations() -> dict[str, tuple]:
    """The Resource integrations this module knows, by where they may appear (for tests and docs)."""
    return {"Task": tuple(sorted(_HANDLERS)), "ItemReader": tuple(sorted(_ITEM_READERS)),
            "ResultWriter": tuple(sorted(_RESULT_WRITERS))}


# --------------------------------------------------------------------------- KMS

def _kms(scope: _Scope, policy: _Policy, key: str, role: str) -> None:
    """Use of the platform's KMS key. An alias ARN cannot be a key policy resource: then any key
    of the account, only through that alias (kms:ResourceAliases)."""
    if ":alias/" in key:
        resources = [scope.arn("kms", "key/*")]
        alias = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [key.split(":", 5)[5]]}}
    else:
        resources, alias = [key], {}
    use = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
    if role == "task":
        use += ["kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    policy.allow("UseKmsKey", use, resources, alias or None)
    # SageMaker (volumes, outputs) and S3 take grants on the key on the caller's behalf.
    policy.allow("GrantKmsKeyToServices", ["kms:CreateGrant"], resources,
                 {"Bool": {"kms:GrantIsForAWSResource": ["true"]}, **alias})


# --------------------------------------------------------------------------- the task role

def _task_policy(config: ModelConfig) -> _Policy:
    scope = _Scope(config)
    policy, naming, platform = scope.policy, scope.naming, config.platform
    model = config.name
    stages = _container_stages(config)
    # The model's prefix of the artifact bucket: stage outputs, checkpoints, model artifacts.
    bucket = platform.artifact_bucket
    policy.allow("ArtifactPrefix", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts",
                                    "s3:PutObject"], [scope.s3(bucket, f"{iam_literal(model)}/*")])
    _list_bucket(policy, "ListArtifactPrefix", scope.s3(bucket), f"{model}/")
    if config.retrain:
        _read_uri(scope, "TrainingData", config.retrain.data_source)
    if config.batch:
        _read_uri(scope, "BatchInput", config.batch.input)
        out_bucket, out_prefix = _split_uri(config.batch.output)
        policy.allow("WriteBatchOutput", ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
                     [scope.s3(out_bucket, iam_literal(out_prefix) + "*")])
    # Images: the repositories of the runtimes the tasks, jobs and serving containers run.
    runtimes = {stage.runtime for _, stage in stages}
    if config.deploy and config.deploy.target != "lambda":  # Lambda pulls with the deploying role
        runtimes.add(config.deploy.runtime)
    if runtimes:
        policy.allow("PullImages", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                     [scope.arn("ecr", f"repository/{iam_literal(naming.repository(r))}") for r in sorted(runtimes)])
        policy.allow_unscopable("EcrLogin")
    # Logs: the Fargate tasks' group; SageMaker's own groups, streams of the model's jobs only.
    fargate = any(stage.compute == "fargate" for _, stage in stages) or \
        bool(config.deploy and config.deploy.target == "ecs-service")
    if fargate:
        group = scope.arn("logs", f"log-group:{iam_literal(naming.task_log_group)}")
        policy.allow("WriteTaskLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [group, f"{group}:*"])
    sagemaker_groups = _sagemaker_log_groups(config, stages)
    for group, streams in sorted(sagemaker_groups.items()):
        group_arn = scope.arn("logs", f"log-group:{iam_literal(group)}")
        policy.allow("SageMakerLogGroups", ["logs:CreateLogGroup", "logs:DescribeLogStreams"], [group_arn, f"{group_arn}:*"])
        policy.allow("WriteSageMakerLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                     [f"{group_arn}:log-stream:{stream}" for stream in streams])
    if sagemaker_groups:
        policy.allow_unscopable("SageMakerMetrics")
        if platform.subnets:
            _vpc_access(scope)
    _monitor_metrics(scope)
    _secrets(scope, stages)
    if platform.kms_key:
        _kms(scope, policy, platform.kms_key, "task")
    return policy


def _container_stages(config: ModelConfig) -> list[tuple[str, Stage]]:
    """(pipeline, stage) for every container stage: retrain stages (the monitor's baseline among
    them), the tune stage, batch, the drift job."""
    stages = container_stages(config)
    if config.retrain and config.retrain.tune:
        stages.append(("retrain", config.retrain.tune.stage))
    return stages


def _monitor_metrics(scope: _Scope) -> None:
    """Metrics the monitor reads: the model's own code publishes drift distances (its drift job)
    and request metrics (an ecs-service's serving code) in the model's namespace; Model Monitor's
    jobs, which run as this role, publish theirs in SageMaker's."""
    config = scope.config
    deploy, monitor = config.deploy, config.monitor
    serving_metrics = bool(monitor and deploy and deploy.target == "ecs-service")
    if config.drift_job or serving_metrics:
        scope.policy.allow_unscopable("ModelMetrics",
                                      {"StringEquals": {"cloudwatch:namespace": [scope.naming.metrics_namespace]}})
    if config.uses_model_monitor:
        scope.policy.allow_unscopable("SageMakerMetrics", {"StringLike": {"cloudwatch:namespace": [
            *_UNSCOPABLE_CONDITIONS["SageMakerMetrics"]["StringLike"]["cloudwatch:namespace"],
            MODEL_MONITOR_NAMESPACE]}})


def _sagemaker_log_groups(config: ModelConfig, stages: list) -> dict[str, list]:
    """SageMaker's log group -> log stream patterns of this model's jobs and endpoint. A job's
    streams are `<job name>/algo-1-...`, the name `<prefix>-<run token>` (8 characters: `?` each,
    so that another model's longer names never match); a tuning job's training jobs are named
    `<tuning job>-<index>-<hash>`."""
    token = "?" * names.RUN_TOKEN_LENGTH
    groups: dict[str, set] = {}
    for _, stage in stages:
        if stage.compute != "sagemaker":
            continue
        if stage.name == "tune":
            prefix = names.job_prefix(config.name, "hpo", "tuning_job")
            group, stream = "/aws/sagemaker/TrainingJobs", f"{iam_literal(prefix)}-{token}-*"
        else:
            kind = "TrainingJobs" if stage.name == "train" else "ProcessingJobs"
            group, stream = f"/aws/sagemaker/{kind}", f"{iam_literal(names.job_prefix(config.name, stage.name))}-{token}/*"
        groups.setdefault(group, set()).add(stream)
    if config.deploy and config.deploy.target == "sagemaker-endpoint":
        groups.setdefault(f"/aws/sagemaker/Endpoints/{config.deploy.endpoint.name}", set()).add("*")
    return {group: sorted(streams) for group, streams in groups.items()}


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def _read_uri(scope: _Scope, what: str, uri: str) -> None:
    """Read the objects under an S3 URI the config names, and list that prefix."""
    bucket, prefix = _split_uri(uri)
    scope.policy.allow(f"Read{what}", ["s3:GetObject"], [scope.s3(bucket, iam_literal(prefix) + "*")])
    _list_bucket(scope.policy, f"List{what}", scope.s3(bucket), prefix)


def _vpc_access(scope: _Scope) -> None:
    """SageMaker jobs and endpoints in the platform's subnets: network interfaces made with the
    task role, which is their SageMaker execution role (SageMaker Developer Guide, "Give SageMaker
    AI Training Jobs Access to Resources in Your Amazon VPC": the execution role needs
    ec2:CreateNetworkInterface(Permission), ec2:DeleteNetworkInterface(Permission) and the
    Describe calls). Interfaces are new at every job, so only the subnets and groups can be named;
    managing an interface is limited to those in the platform's subnets by the `ec2:Subnet`
    condition key (an ARN; Service Authorization Reference, Amazon EC2, network-interface), so
    the model's code cannot touch the interfaces of anything else in the account."""
    platform = scope.platform
    interfaces = scope.arn("ec2", "network-interface/*")
    subnets = [scope.arn("ec2", f"subnet/{s}") for s in platform.subnets]
    scope.policy.allow("SageMakerNetworkInterfaces", ["ec2:CreateNetworkInterface"],
                       [interfaces, *subnets,
                        *(scope.arn("ec2", f"security-group/{g}") for g in platform.security_groups)])
    scope.policy.allow("ManageNetworkInterfaces", ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
                                                   "ec2:DeleteNetworkInterfacePermission"], [interfaces],
                       {"ArnEquals": {"ec2:Subnet": subnets}})
    scope.policy.allow_unscopable("DescribeNetwork")


def _secrets(scope: _Scope, stages: list) -> None:
    """The secrets stages reference: injected by ECS (execution role) or read by the container."""
    for _, stage in stages:
        for arn in stage.secrets.values():
            if arn.split(":")[2] == "secretsmanager":
                # A secret's full ARN ends with 6 random characters; a partial ARN matches with them.
                scope.policy.allow("ReadSecrets", ["secretsmanager:GetSecretValue"],
                                   [iam_literal(arn), iam_literal(arn) + "-??????"])
            else:
                scope.policy.allow("ReadParameters", ["ssm:GetParameter", "ssm:GetParameters"], [iam_literal(arn)])
