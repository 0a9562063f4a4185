"""The IAM of deploy target `ecs-service`: its task definitions and the service."""

from __future__ import annotations

import functools
from typing import Callable

from compiler.render.iam.pipeline_integrations import read_alarms
from compiler.render.iam.policy_document import iam_literal
from compiler.render.iam.service_call import Call


def _register_task_definition(call: Call) -> None:
    family = iam_literal(call.literal("Family"))
    definition = call.scope.arn("ecs", f"task-definition/{family}:*")
    call.policy.allow("DeployService", ["ecs:RegisterTaskDefinition"], [definition])
    call.policy.allow("TagEcsOnCreate", ["ecs:TagResource"], [definition],
                      {"StringEquals": {"ecs:CreateAction": ["RegisterTaskDefinition"]}})
    call.pass_role("TaskRoleArn", "ExecutionRoleArn", service="ecs-tasks.amazonaws.com")


def _service_arn(call: Call, key: str) -> str:
    cluster = call.literal("Cluster")
    if cluster != call.scope.platform.ecs_cluster:
        raise call.fail(f"cluster {cluster} is not the platform's")
    value = call.parameters.get(key)
    services = value if isinstance(value, list) else [value]
    if len(services) != 1 or not isinstance(services[0], str):
        raise call.fail(f"{key} does not name one service")
    return call.scope.arn("ecs", f"service/{iam_literal(cluster)}/{iam_literal(services[0])}")


def _ecs_service(action: str, key: str, call: Call) -> None:
    service = _service_arn(call, key)
    call.policy.allow("DeployService", [action], [service])
    if action == "ecs:CreateService":
        call.policy.allow("TagEcsOnCreate", ["ecs:TagResource"], [service],
                          {"StringEquals": {"ecs:CreateAction": ["CreateService"]}})
    alarms = ((call.parameters.get("DeploymentConfiguration") or {}).get("Alarms") or {}).get("AlarmNames")
    if alarms:
        read_alarms(call, alarms)


#: Task state Resource (after `arn:<partition>:states:::`) -> what it needs, for deploy target `ecs-service`.
TASK_INTEGRATIONS: dict[str, Callable[[Call], None]] = {
    "aws-sdk:ecs:registerTaskDefinition": _register_task_definition,
    "aws-sdk:ecs:describeServices": functools.partial(_ecs_service, "ecs:DescribeServices", "Services"),
    "aws-sdk:ecs:createService": functools.partial(_ecs_service, "ecs:CreateService", "ServiceName"),
    "aws-sdk:ecs:updateService": functools.partial(_ecs_service, "ecs:UpdateService", "Service"),
}
