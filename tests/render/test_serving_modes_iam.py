"""The IAM of `endpoint.async` (issue 18, item 3): the endpoint runs as the task role, which writes
the responses and failures under their prefixes and publishes to the notification topics
(SageMaker developer guide, "Asynchronous inference" > "Complete the prerequisites"); the
deploy pipeline puts the scale-from-zero alarm, and no other alarm by that means."""

from __future__ import annotations

import copy

import pytest
import yaml

from compile_helpers import SAMPLES, SAMPLES_PLATFORM, make_repo
from compiler import api
from compiler.render import asl, iam
from compiler.render.naming import Naming
from test_iam_policy import allowed

S3 = "arn:aws:s3:::acme-ml-artifacts/demand-forecast/"
OK_TOPIC = "arn:aws:sns:eu-west-1:111111111111:demand-forecast-async-ok"
ASYNC = {"output": "s3://acme-ml-artifacts/demand-forecast/async/responses/",
         "failure_output": "s3://acme-ml-artifacts/demand-forecast/async/failures/",
         "notifications": {"success": OK_TOPIC}}


def _policies(tmp_path, endpoint_changes: dict) -> dict:
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    endpoint = copy.deepcopy(config["pipelines"]["deploy"]["endpoint"])
    config["pipelines"]["deploy"]["endpoint"] = {**endpoint, **endpoint_changes}
    repo = make_repo(tmp_path, "demand-forecast", config)
    validation = api.validate([str(repo)], str(SAMPLES_PLATFORM))
    assert validation.ok, validation.problems
    (model,) = validation.models
    return iam.policies(Naming(model), asl.definitions(Naming(model)))


@pytest.fixture(scope="module")
def async_policies(tmp_path_factory) -> dict:
    return _policies(tmp_path_factory.mktemp("async"), {"autoscaling": {"min": 0, "max": 4}, "async": ASYNC})


def test_the_task_role_writes_the_responses_and_failures_and_nowhere_else_beside_them(async_policies):
    task = async_policies["task"]
    for key in ("async/responses/1f2e.out", "async/failures/1f2e-error.out"):
        assert allowed(task, "s3:PutObject", S3 + key), key
    assert not allowed(task, "s3:PutObject", "arn:aws:s3:::acme-ml-data/demand-forecast/async/responses/x")


def test_the_task_role_publishes_to_the_notification_topics_only(async_policies):
    assert allowed(async_policies["task"], "sns:Publish", OK_TOPIC)
    assert not allowed(async_policies["task"], "sns:Publish", OK_TOPIC + "-other")


def test_the_pipeline_puts_the_scale_from_zero_alarm_and_not_any_alarm(async_policies):
    alarms = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:"
    pipeline = async_policies["pipeline"]
    assert allowed(pipeline, "cloudwatch:PutMetricAlarm", alarms + "demand-forecast-default-backlog-without-capacity")
    assert not allowed(pipeline, "cloudwatch:PutMetricAlarm", alarms + "demand-forecast-default-error-rate")


def test_a_real_time_endpoint_gets_none_of_it(tmp_path):
    policies = _policies(tmp_path, {})
    assert not allowed(policies["task"], "sns:Publish", OK_TOPIC)
    statements = {s.get("Sid") for document in policies.values() for s in document["Statement"]}
    assert not statements & {"WriteAsyncResponses", "NotifyAsyncResults", "ScaleFromZeroAlarm"}
