"""The SageMaker blue/green update sets its own execution time-out: AWS documents no default, and
the time-out "should be larger than the total waiting time specified in TerminationWaitInSeconds
and WaitIntervalInSeconds", within 600 to 28800 seconds (SageMaker API reference,
BlueGreenUpdatePolicy). Left unset, a linear shift could be cut short and rolled back by SageMaker."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from compiler.render.asl.sagemaker_endpoint_target import blue_green_timeout
from paths import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden" / "demand-forecast" / "default" / "deploy.asl.json"


def test_the_compiled_update_allows_every_wait_of_its_traffic_shift():
    update = json.loads(GOLDEN.read_text())["States"]["Update endpoint"]["Parameters"]
    policy = update["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    routing = policy["TrafficRoutingConfiguration"]
    steps = -(-100 // routing["LinearStepSize"]["Value"])
    waits = steps * routing["WaitIntervalInSeconds"] + policy["TerminationWaitInSeconds"]
    assert waits < policy["MaximumExecutionTimeoutInSeconds"] <= 28800


@pytest.mark.parametrize("mode, percent, interval, bake, expected", [
    ("all-at-once", None, None, 0, 3600),          # provisioning only
    ("canary", 10, 600, 900, 600 + 900 + 3600),     # one wait after the canary
    ("linear", 25, 600, 900, 4 * 600 + 900 + 3600),  # one wait per step
    ("linear", 10, 3600, 3600, 28800),              # capped at the API's maximum
])
def test_the_time_out_covers_the_waits_within_the_apis_range(mode, percent, interval, bake, expected):
    traffic = SimpleNamespace(mode=mode, percent=percent, interval_seconds=interval, bake_seconds=bake)
    assert blue_green_timeout(traffic, min(bake, 3600)) == expected
