"""Gate metrics may name nested values of metrics.json (issue 13, item 13).

SageMaker's own evaluation reports nest their metrics (the abalone example's evaluation.json is
`{"regression_metrics": {"mse": {"value": ...}}}`), so `metric: regression_metrics.mse.value`
must reach that value: each dot steps into an object. A metric that is not such a path is refused
at validate, where it is written, with a hint.
"""

from __future__ import annotations

import json

import pytest
import yaml

from compile_helpers import SAMPLES, make_repo
from compiler import api

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

NESTED = "regression_metrics.mse.value"


def churn_with_gate(gate: list) -> dict:
    config = yaml.safe_load((SAMPLES / "churn-fargate" / "mlops.yaml").read_text())
    config["pipelines"]["retrain"]["stages"]["evaluate"]["gate"] = gate
    return config


@pytest.fixture
def nested_gate(monkeypatch, tmp_path):
    from sfn_harness import applied

    repo = make_repo(tmp_path / "repos", "churn-fargate", churn_with_gate(
        [{"metric": NESTED, "below": 0.5}, {"metric": "auc", "at_least": 0.8}]))
    with applied(monkeypatch, tmp_path, [repo]) as account:
        yield account


def test_the_gate_reads_a_nested_metric_and_registers_when_it_passes(nested_gate):
    from sfn_harness import execute, item

    metrics = {"regression_metrics": {"mse": {"value": 0.31, "standard_deviation": 0.02}}, "auc": 0.9}
    nested_gate.harness.stages.metrics = metrics  # what the evaluate "container" writes as metrics.json
    run = execute(nested_gate.sfn, "churn-fargate-default-retrain", "run-nested")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    version = item(nested_gate.session, ("MODEL#churn-fargate", "VERSION#default#run-nested"))
    assert json.loads(version["metrics"]) == metrics


@pytest.mark.parametrize("metrics, why", [
    ({"regression_metrics": {"mse": {"value": 0.7}}, "auc": 0.9}, "the nested value fails its bound"),
    ({"regression_metrics": {"mse": 0.3}, "auc": 0.9}, "the path ends early: no `value` under mse"),
    ({"regression_metrics.mse.value": 0.3, "auc": 0.9}, "a flat key with dots is not the nested value"),
])
def test_the_gate_fails_when_the_nested_metric_fails_or_is_missing(nested_gate, metrics, why):
    from sfn_harness import execute

    nested_gate.harness.stages.metrics = metrics
    run = execute(nested_gate.sfn, "churn-fargate-default-retrain", "run-nested-fail")
    assert (run.status, run.error) == ("FAILED", "GateFailed"), why


@pytest.mark.parametrize("metric", ["regression_metrics..mse", ".mse", "mse.", "a b"])
def test_a_metric_that_is_not_a_dotted_path_is_refused_where_it_is_written(tmp_path, metric):
    repo = make_repo(tmp_path, "churn-fargate", churn_with_gate([{"metric": metric, "below": 0.5}]))
    result = api.validate([str(repo)])
    problems = [p for p in result.problems if p.path.endswith("gate[0].metric") and p.rule == "schema"]
    assert len(problems) == 1, result.problems
    problem = problems[0]
    text = (repo / "mlops.yaml").read_text().splitlines()[problem.line - 1]
    assert "metric:" in text and text.index("metric:") < problem.col  # the line and column of the value
    assert "regression_metrics.mse.value" in problem.hint
