"""The gate read back from a compiled retrain pipeline (compiler/registry/gate.py), which the
registry report draws: for every sample, the thresholds its mlops.yaml gives, in its order, from
the golden retrain definitions (all four comparisons, and abalone's dotted metric into nested
metrics.json objects)."""

from __future__ import annotations

import json

import pytest
import yaml

from compiler.registry import gate
from compiler.render.asl import retrain_pipeline
from paths import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden"
SAMPLE_FOLDERS = {"abalone": "abalone", "churn-fargate": "churn-fargate", "demand-forecast": "demand-forecast",
                  "fraud-scoring": "fraud-lambda"}
RETRAINS = sorted(GOLDEN.glob("*/*/retrain.asl.json"))


def written_gate(model: str) -> list:
    """The gate as mlops.yaml writes it (the samples set it once, in their retrain stages)."""
    config = yaml.safe_load((REPO_ROOT / "samples" / SAMPLE_FOLDERS[model] / "mlops.yaml").read_text())
    found = []

    def walk(node):
        if isinstance(node, dict):
            found.extend(node.get("gate") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config["pipelines"])
    return found


@pytest.mark.parametrize("path", RETRAINS, ids=[str(p.relative_to(GOLDEN)) for p in RETRAINS])
def test_the_compiled_gate_is_the_configs(path):
    model = path.parent.parent.name
    expected = [gate.Threshold(c["metric"], comparison, c[comparison]) for c in written_gate(model)
                for comparison in gate.SYMBOLS if comparison in c]
    assert expected, f"{model}'s sample has a gate"
    assert gate.thresholds(json.loads(path.read_text())) == expected


def test_every_comparison_render_writes_is_read_back():
    """The samples use three of the four comparisons; `above` is read as render writes it."""
    assert gate.COMPARISONS == {operator: word for word, operator in retrain_pipeline._COMPARISONS.items()}
    variable = retrain_pipeline.metric_variable("binary_classification_metrics.auc.value")
    rule = {"And": [{"Variable": variable, "IsPresent": True}, {"Variable": variable, "NumericGreaterThan": 0.75}],
            "Next": "Register model version"}
    assert gate.thresholds({"States": {"Check gate": {"Type": "Choice", "Choices": [rule]}}}) == [
        gate.Threshold("binary_classification_metrics.auc.value", "above", 0.75)]
    found = [t for path in RETRAINS for t in gate.thresholds(json.loads(path.read_text()))]
    assert {t.comparison for t in found} == set(gate.SYMBOLS) - {"above"}
    assert [t.text for t in found if t.metric in ("auc", "logloss")][:2] == ["auc ≥ 0.8", "logloss < 0.45"]


def test_no_retrain_no_gate():
    assert gate.thresholds(None) == []
    assert gate.thresholds({"States": {"Only": {"Type": "Choice", "Choices": [
        {"Variable": "$.trigger", "StringEquals": "drift", "Next": "x"}]}}}) == []
