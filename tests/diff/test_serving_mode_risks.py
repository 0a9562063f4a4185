"""`mlopsc diff` flags the risky changes of endpoint.serverless and endpoint.async (risks.py):
serverless capacity lowered, and an endpoint config made or unmade serverless or asynchronous."""

from __future__ import annotations

import pytest

from compiler.diff import risks
from compiler.diff.change import ABSENT, Change

VARIANT = ("Parameters", "ProductionVariants", 0)


@pytest.mark.parametrize("path, old, new, flagged", [
    (VARIANT + ("ServerlessConfig", "MemorySizeInMB"), 2048, 1024, "serverless MemorySizeInMB lowered from 2048 to 1024"),
    (VARIANT + ("ServerlessConfig", "MemorySizeInMB"), 1024, 2048, ""),
    (VARIANT + ("ServerlessConfig", "MaxConcurrency"), 20, 5, "serverless MaxConcurrency lowered"),
    (VARIANT + ("ServerlessConfig", "ProvisionedConcurrency"), 2, 1, "serverless ProvisionedConcurrency lowered"),
    (("Parameters", "MemorySize"), 2048, 1024, ""),  # a Lambda function's memory is not serverless inference's
    (VARIANT + ("ServerlessConfig",), ABSENT, {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
     "an instance endpoint cannot become serverless"),
    (VARIANT + ("ServerlessConfig",), {"MemorySizeInMB": 2048, "MaxConcurrency": 5}, ABSENT,
     "serverless to instances is one-way"),
    (("Parameters", "AsyncInferenceConfig"), ABSENT, {"OutputConfig": {"S3OutputPath": "s3://b/o/"}},
     "the endpoint becomes asynchronous"),
    (("Parameters", "AsyncInferenceConfig"), {"OutputConfig": {"S3OutputPath": "s3://b/o/"}}, ABSENT,
     "the endpoint stops being asynchronous"),
    (("Parameters", "AsyncInferenceConfig", "OutputConfig", "S3OutputPath"), "s3://b/o/", "s3://b/p/", ""),
])
def test_serving_mode_risks(path, old, new, flagged):
    (change,) = risks.flag([Change.of("field", old, new, path=path, state="Create endpoint config")])
    assert change.risk.startswith(flagged) and bool(change.risk) is bool(flagged), change.risk


def test_an_ab_test_no_longer_watched_is_flagged():
    """traffic.alarms or bake removed beside A/B variants: the deploy pipeline's `Check variant
    alarms` state is gone, and with it the alarms that would stop a failing variant."""
    check = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:cloudwatch:describeAlarms",
             "Parameters": {"AlarmNames": ["m-e-error-rate-green"], "StateValue": "ALARM"}}
    (change,) = risks.flag([Change.of("state", check, ABSENT, state="Check variant alarms")])
    assert change.risk == "alarms removed: m-e-error-rate-green"
