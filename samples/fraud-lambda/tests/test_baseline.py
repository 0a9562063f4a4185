import json
import math
import shutil
from pathlib import Path

import pytest

from fraud import baseline
from fraud.baseline import (KLLSketch, constraints_from_statistics, kll_buckets,
                            statistics_from_rows)
from fraud.features import FEATURE_NAMES

DATA = Path(__file__).resolve().parents[1] / "data" / "transactions-2024-06.csv"


def test_statistics_follow_the_statistics_json_schema():
    rows = [[1.0, 0.0], [2.0, 1.0], [3.0, None], [4.0, 1.0]]
    stats = statistics_from_rows(rows, names=("x", "flag"))
    assert stats["version"] == 0
    assert stats["dataset"] == {"item_count": 4}
    x, flag = stats["features"]
    assert (x["name"], x["inferred_type"]) == ("x", "Fractional")
    nx = x["numerical_statistics"]
    assert set(nx) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert nx["common"] == {"num_present": 4, "num_missing": 0}
    assert (nx["sum"], nx["mean"], nx["min"], nx["max"]) == (10.0, 2.5, 1.0, 4.0)
    assert nx["std_dev"] == pytest.approx(math.sqrt(1.25))  # population std dev, as Deequ
    kll = nx["distribution"]["kll"]
    assert kll["sketch"] == {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[1.0, 2.0, 3.0, 4.0]]}
    assert [set(b) for b in kll["buckets"]] == [{"lower_bound", "upper_bound", "count"}] * 10
    nf = flag["numerical_statistics"]
    assert nf["common"] == {"num_present": 3, "num_missing": 1}
    # a 0/1 flag: the zeros in the first bucket, the ones in the last (closed) one
    assert [b["count"] for b in nf["distribution"]["kll"]["buckets"]] == [1] + [0] * 8 + [2]


def test_integer_values_make_an_integral_feature():
    stats = statistics_from_rows([[1], [2], [True]], names=("n",))
    assert stats["features"][0]["inferred_type"] == "Integral"


def test_bucket_edges_are_equal_width_and_every_value_is_counted_once():
    values = [0.0, 1.0, 2.0, 5.0, 9.99, 10.0]
    buckets = kll_buckets(values)
    assert [b["lower_bound"] for b in buckets] == [float(i) for i in range(10)]
    assert [b["upper_bound"] for b in buckets] == [float(i) for i in range(1, 11)]
    assert [b["count"] for b in buckets] == [1, 1, 1, 0, 0, 1, 0, 0, 0, 2]
    awkward = [math.log1p(0.37 * i) for i in range(3000)]
    assert sum(b["count"] for b in kll_buckets(awkward)) == len(awkward)


def test_kll_sketch_compacts_without_losing_weight():
    sketch = KLLSketch(k=16)
    for v in range(5000):
        sketch.update(float((v * 7919) % 1000))
    assert len(sketch.levels) > 1
    assert sum(len(level) * 2 ** h for h, level in enumerate(sketch.levels)) == 5000


def test_constraints_from_statistics():
    stats = statistics_from_rows([[-1.0, 2.0], [3.0, None]], names=("a", "b"))
    constraints = constraints_from_statistics(stats)
    assert constraints["version"] == 0
    assert constraints["features"] == [
        {"name": "a", "inferred_type": "Fractional", "completeness": 1.0,
         "num_constraints": {"is_non_negative": False}},
        {"name": "b", "inferred_type": "Fractional", "completeness": 0.5,
         "num_constraints": {"is_non_negative": True}},
    ]
    assert constraints["monitoring_config"]["distribution_constraints"] == {
        "perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"}


def test_stage_baselines_the_featurised_transactions(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    shutil.copy(DATA, tmp_path / "in" / "transactions.csv")
    monkeypatch.setenv("MLOPS_INPUT_URI", f"file://{tmp_path}/in/")
    monkeypatch.setenv("MLOPS_OUTPUT_URI", str(tmp_path / "out"))
    monkeypatch.setenv("MLOPS_PARAMS", json.dumps({"comparison_threshold": 0.15}))
    baseline.main()
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    constraints = json.loads((tmp_path / "out" / "constraints.json").read_text())
    rows = sum(1 for _ in DATA.open()) - 1
    assert stats["dataset"]["item_count"] == rows
    assert [f["name"] for f in stats["features"]] == list(FEATURE_NAMES)
    for feature in stats["features"]:
        numbers = feature["numerical_statistics"]
        assert numbers["common"] == {"num_present": rows, "num_missing": 0}
        assert sum(b["count"] for b in numbers["distribution"]["kll"]["buckets"]) == rows
        assert sum(map(len, numbers["distribution"]["kll"]["sketch"]["data"])) == rows
    night = next(f for f in stats["features"] if f["name"] == "night")["numerical_statistics"]
    assert (night["min"], night["max"]) == (0.0, 1.0)
    assert [f["name"] for f in constraints["features"]] == list(FEATURE_NAMES)
    distribution = constraints["monitoring_config"]["distribution_constraints"]
    assert distribution["comparison_threshold"] == 0.15
