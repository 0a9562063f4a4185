"""The IAM of deploy target `sagemaker-endpoint`: model, endpoint config, endpoint, its
autoscaling and Model Monitor's schedule."""

from __future__ import annotations

import functools
import re
from typing import Callable

from compiler import names
from compiler.render.iam.pipeline_integrations import read_alarms
from compiler.render.iam.policy_document import iam_literal
from compiler.render.iam.service_call import Call


#: SageMaker's service-linked role for endpoint autoscaling, created on first registration.
AUTOSCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"

AUTOSCALING_ROLE = f"aws-service-role/{AUTOSCALING_SERVICE}/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


def _create_model(call: Call) -> None:
    name = call.pattern("ModelName").lower()
    call.policy.allow("SageMakerEndpoint", ["sagemaker:AddTags", "sagemaker:CreateModel"],
                      [call.scope.arn("sagemaker", f"model/{name}")])
    call.pass_role("ExecutionRoleArn", service="sagemaker.amazonaws.com")


def _create_endpoint_config(call: Call) -> None:
    name = call.pattern("EndpointConfigName").lower()
    # ListTags as the Step Functions developer guide's policy for this integration lists it ("IAM
    # policies for calling Amazon SageMaker AI"), scoped to the resource here.
    call.policy.allow("SageMakerEndpoint", ["sagemaker:AddTags", "sagemaker:CreateEndpointConfig", "sagemaker:ListTags"],
                      [call.scope.arn("sagemaker", f"endpoint-config/{name}")])


def _endpoint(action: str, call: Call) -> None:
    resources = [call.scope.arn("sagemaker", f"endpoint/{call.pattern('EndpointName').lower()}")]
    actions = [action]
    if action in ("sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"):  # these name the endpoint config too
        resources.append(call.scope.arn("sagemaker", f"endpoint-config/{call.pattern('EndpointConfigName').lower()}"))
    if action == "sagemaker:CreateEndpoint":
        actions += ["sagemaker:AddTags", "sagemaker:ListTags"]  # as _create_endpoint_config
    call.policy.allow("SageMakerEndpoint", actions, resources)
    rollback = ((call.parameters.get("DeploymentConfig") or {}).get("AutoRollbackConfiguration") or {}).get("Alarms")
    if rollback:
        read_alarms(call, [alarm.get("AlarmName") for alarm in rollback])


def _describe_endpoint_config(call: Call) -> None:
    """The config the endpoint serves now (read for its instance type): one the deploy pipeline
    created, so named with the endpoint's config prefix and a run token."""
    if call.parameters.get("EndpointConfigName.$") != "$.endpoint.EndpointConfigName":
        raise call.fail("EndpointConfigName is not the endpoint's current config")
    prefix = names.job_prefix(call.scope.config.deploy.endpoint.name, "config", "endpoint_config").lower()
    call.policy.allow("SageMakerEndpoint", ["sagemaker:DescribeEndpointConfig"],
                      [call.scope.arn("sagemaker", f"endpoint-config/{iam_literal(prefix)}-*")])


def _monitoring_schedule(action: str, call: Call) -> None:
    """The endpoint's Model Monitor schedule, by its fixed name; its jobs run as the task role."""
    name = call.pattern("MonitoringScheduleName").lower()
    actions = [action] + (["sagemaker:AddTags"] if "Tags" in call.parameters else [])
    call.policy.allow("SageMakerMonitoring", actions, [call.scope.arn("sagemaker", f"monitoring-schedule/{name}")])
    definition = (call.parameters.get("MonitoringScheduleConfig") or {}).get("MonitoringJobDefinition") or {}
    Call(call.scope, call.pipeline, call.state, call.integration, definition, call.values).pass_role(
        "RoleArn", service="sagemaker.amazonaws.com")


_SCALABLE_ENDPOINT = re.compile(r"^endpoint/(?P<name>[^/]+)/variant/[^/]+$")


def _endpoint_autoscaling(call: Call) -> None:
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


#: Task state Resource (after `arn:<partition>:states:::`) -> what it needs, for deploy target `sagemaker-endpoint`.
TASK_INTEGRATIONS: dict[str, Callable[[Call], None]] = {
    "sagemaker:createModel": _create_model,
    "sagemaker:createEndpointConfig": _create_endpoint_config,
    "sagemaker:createEndpoint": functools.partial(_endpoint, "sagemaker:CreateEndpoint"),
    "sagemaker:updateEndpoint": functools.partial(_endpoint, "sagemaker:UpdateEndpoint"),
    "aws-sdk:sagemaker:describeEndpoint": functools.partial(_endpoint, "sagemaker:DescribeEndpoint"),
    # An A/B test's variants under test lose their traffic when their alarms fire (endpoint_variants.py).
    "aws-sdk:sagemaker:updateEndpointWeightsAndCapacities": functools.partial(
        _endpoint, "sagemaker:UpdateEndpointWeightsAndCapacities"),
    "aws-sdk:sagemaker:describeEndpointConfig": _describe_endpoint_config,
    "aws-sdk:sagemaker:createMonitoringSchedule": functools.partial(_monitoring_schedule,
                                                                    "sagemaker:CreateMonitoringSchedule"),
    "aws-sdk:sagemaker:updateMonitoringSchedule": functools.partial(_monitoring_schedule,
                                                                    "sagemaker:UpdateMonitoringSchedule"),
    "aws-sdk:applicationautoscaling:deregisterScalableTarget": _endpoint_autoscaling,
    "aws-sdk:applicationautoscaling:registerScalableTarget": _endpoint_autoscaling,
    "aws-sdk:applicationautoscaling:putScalingPolicy": _endpoint_autoscaling,
}
