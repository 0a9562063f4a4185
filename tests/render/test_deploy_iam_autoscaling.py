"""Issue 13, item 2: the pipeline role may do what Application Auto Scaling requires of its caller.

Application Auto Scaling checks that whoever calls RegisterScalableTarget / PutScalingPolicy /
DeregisterScalableTarget for a SageMaker endpoint variant may also do what it then does on the
caller's behalf (Application Auto Scaling User Guide, "Identity-based policy examples" >
"Permissions required for API actions on target services and CloudWatch"): for SageMaker
`sagemaker:DescribeEndpoint`, `sagemaker:DescribeEndpointConfig`,
`sagemaker:UpdateEndpointWeightsAndCapacities`, and, because a target tracking policy creates
and deletes its own `TargetTracking-<resource id>-Alarm...` alarms, `cloudwatch:PutMetricAlarm`,
`cloudwatch:DescribeAlarms` and `cloudwatch:DeleteAlarms`. Without them the deploy pipeline of an
endpoint with `autoscaling` fails at "Put scaling policy" with AccessDenied in a real account.
"""

from __future__ import annotations

import pytest

from compile_helpers import SAMPLES, SAMPLES_PLATFORM
from compiler import api
from compiler.render import asl, iam
from compiler.render.naming import Naming
from test_iam_policy import allowed

PREFIX = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:"
RESOURCE_ID = "endpoint/demand-forecast-default/variant/AllTraffic"  # live names per environment


@pytest.fixture(scope="module")
def pipeline_policy() -> dict:
    validation = api.validate([str(SAMPLES / "demand-forecast")], str(SAMPLES_PLATFORM))
    assert validation.ok
    (model,) = [m for m in validation.models if m.name == "demand-forecast"]
    assert model.deploy.endpoint.autoscaling_max  # the sample scales its endpoint
    return iam.policies(Naming(model), asl.definitions(Naming(model)))["pipeline"]


@pytest.mark.parametrize("action", ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"])
def test_target_tracking_alarms_of_the_endpoint_may_be_managed(pipeline_policy, action):
    for suffix in ("AlarmHigh-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "AlarmLow-11112222-3333-4444-5555-666677778888"):
        assert allowed(pipeline_policy, action, f"{PREFIX}TargetTracking-{RESOURCE_ID}-{suffix}"), action


@pytest.mark.parametrize("action", ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"])
def test_other_alarms_stay_out_of_reach(pipeline_policy, action):
    assert not allowed(pipeline_policy, action, f"{PREFIX}demand-forecast-default-error-rate")
    assert not allowed(pipeline_policy, action, f"{PREFIX}TargetTracking-endpoint/other-model/variant/AllTraffic-AlarmHigh-x")
    # another environment's endpoint of the same model
    assert not allowed(pipeline_policy, action,
                       f"{PREFIX}TargetTracking-endpoint/demand-forecast-prod/variant/AllTraffic-AlarmHigh-x")


def test_the_endpoint_and_its_configs_may_be_read(pipeline_policy):
    endpoint = "arn:aws:sagemaker:eu-west-1:111111111111:endpoint/demand-forecast-default"
    config = "arn:aws:sagemaker:eu-west-1:111111111111:endpoint-config/demand-forecast-default-config-0f1e2d3c"
    assert allowed(pipeline_policy, "sagemaker:DescribeEndpoint", endpoint)
    assert allowed(pipeline_policy, "sagemaker:UpdateEndpointWeightsAndCapacities", endpoint)
    assert allowed(pipeline_policy, "sagemaker:DescribeEndpointConfig", config)
    assert not allowed(pipeline_policy, "sagemaker:DescribeEndpointConfig",
                       "arn:aws:sagemaker:eu-west-1:111111111111:endpoint-config/other-config-0f1e2d3c")
