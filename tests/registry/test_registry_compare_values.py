"""The value helpers behind `registry compare` and `history`'s sparkline (compiler/registry/compare.py),
on plain values; the commands themselves run on real registered versions in
tests/execute/test_registry_compare.py."""

from __future__ import annotations

from compiler.registry import compare


def test_metrics_are_named_by_their_dotted_path_as_a_gate_names_them():
    """SageMaker's evaluation.json nests (regression_metrics.mse.value); flags and text are not metrics."""
    metrics = {"rmse": 1.5, "regression_metrics": {"mse": {"value": 2.25, "standard_deviation": "NaN"}},
               "passed": True, "n": 3}
    assert compare.flat_metrics(metrics) == {"rmse": 1.5, "regression_metrics.mse.value": 2.25, "n": 3}
    assert compare.flat_metrics("not json") == {}


def test_the_sparkline_spans_lowest_to_highest_and_leaves_gaps_for_missing_values():
    assert compare.sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert compare.sparkline([0.3, None, 0.1]) == "█ ▁"
    assert compare.sparkline([2, 2]) == "▄▄"  # a flat series: the middle height
    assert compare.sparkline([None]) == ""


def test_a_gate_condition_reads_as_its_comparison():
    assert [compare.condition_text({"metric": "m", "comparison": c, "threshold": 0.5})
            for c in ("below", "above", "at_most", "at_least")] == ["< 0.5", "> 0.5", "<= 0.5", ">= 0.5"]
