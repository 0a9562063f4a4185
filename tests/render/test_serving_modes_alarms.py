"""The health alarms of an asynchronous endpoint (issue 18, item 3) count its requests with
`InvocationsProcessed`: SageMaker publishes no `Invocations` for it (developer guide, "Alarms and
logs for tracking metrics from asynchronous endpoints"), so an error rate or a no-invocations
alarm on `Invocations` would never see a request. A serverless endpoint publishes the real-time
metrics ("Alarms and logs for tracking metrics from serverless endpoints": the common endpoint
metrics), so its alarms are those of an endpoint on instances."""

from __future__ import annotations

import pytest
import yaml

from compile_helpers import SAMPLES, SAMPLES_PLATFORM, make_repo
from compiler import api
from compiler.render import alarms
from compiler.render.naming import Naming

ASYNC = {"instance_type": "ml.c5.xlarge", "async": {"output": "s3://acme-ml-artifacts/demand-forecast/async/"}}
SERVERLESS = {"serverless": {"memory": 2048, "max_concurrency": 10}}


def _alarms(tmp_path, endpoint: dict) -> dict:
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    config["pipelines"]["deploy"]["endpoint"] = endpoint
    config["monitor"] = {"health": config["monitor"]["health"]}
    validation = api.validate([str(make_repo(tmp_path, "demand-forecast", config))], str(SAMPLES_PLATFORM))
    assert validation.ok, validation.problems
    (model,) = validation.models
    return {alarm["AlarmName"].rsplit("-", 2)[-2] + "-" + alarm["AlarmName"].rsplit("-", 1)[-1]: alarm
            for alarm in alarms.monitor(Naming(model))["alarms"]}


def _request_metrics(alarm: dict) -> set:
    queries = alarm.get("Metrics") or [{"MetricStat": {"Metric": {"MetricName": alarm["MetricName"]}}}]
    return {q["MetricStat"]["Metric"]["MetricName"] for q in queries if "MetricStat" in q}


@pytest.mark.parametrize("endpoint, requests", [(ASYNC, "InvocationsProcessed"), (SERVERLESS, "Invocations")])
def test_the_health_alarms_count_the_requests_the_endpoint_publishes(tmp_path, endpoint, requests):
    found = _alarms(tmp_path, endpoint)
    assert _request_metrics(found["error-rate"]) == {"Invocation5XXErrors", requests}
    assert _request_metrics(found["no-invocations"]) == {requests}
    assert _request_metrics(found["latency-p99"]) == {"ModelLatency"}
