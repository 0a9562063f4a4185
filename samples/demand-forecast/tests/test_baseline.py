import csv
import json
import math

import pytest

from forecast import baseline
from forecast.baseline import (KLLSketch, constraints_from_statistics, kll_buckets, parse_value,
                               statistics_from_rows)
from forecast.schema import FEATURES


def _numbers(stats, name):
    return next(f for f in stats["features"] if f["name"] == name)["numerical_statistics"]


def test_cells_are_typed_like_model_monitor_types_csv_text():
    assert parse_value("7") == (7.0, "Integral")
    assert parse_value("-3") == (-3.0, "Integral")
    assert parse_value("113.0") == (113.0, "Fractional")
    assert parse_value("1e3") == (1000.0, "Fractional")
    assert parse_value("") == (None, None)
    assert parse_value(None) == (None, None)
    assert parse_value("nan") == (None, None)
    assert parse_value(4) == (4.0, "Integral")
    assert parse_value(0.5) == (0.5, "Fractional")
    with pytest.raises(ValueError):
        parse_value("Monday")


def test_statistics_follow_the_statistics_json_schema():
    rows = [{"a": "1", "b": "2.5"}, {"a": "2", "b": ""}, {"a": "3", "b": "4.5"},
            {"a": "4", "b": "0.5"}]
    stats = statistics_from_rows(rows, features=("a", "b"))
    assert stats["version"] == 0
    assert stats["dataset"] == {"item_count": 4}
    a, b = stats["features"]
    assert (a["name"], a["inferred_type"]) == ("a", "Integral")
    assert (b["name"], b["inferred_type"]) == ("b", "Fractional")
    na = a["numerical_statistics"]
    assert set(na) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert na["common"] == {"num_present": 4, "num_missing": 0}
    assert (na["sum"], na["mean"], na["min"], na["max"]) == (10.0, 2.5, 1.0, 4.0)
    assert na["std_dev"] == pytest.approx(math.sqrt(1.25))  # population std dev, as Deequ
    nb = b["numerical_statistics"]
    assert nb["common"] == {"num_present": 3, "num_missing": 1}
    assert nb["mean"] == pytest.approx(2.5)
    kll = na["distribution"]["kll"]
    assert set(kll) == {"buckets", "sketch"}
    assert kll["sketch"] == {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[1.0, 2.0, 3.0, 4.0]]}
    assert all(set(bk) == {"lower_bound", "upper_bound", "count"} for bk in kll["buckets"])


def test_one_integral_cell_among_decimals_makes_the_feature_fractional():
    stats = statistics_from_rows([{"x": "1"}, {"x": "1.5"}], features=("x",))
    assert stats["features"][0]["inferred_type"] == "Fractional"


def test_ten_equal_width_buckets_with_half_open_intervals_and_a_closed_last_one():
    values = [0.0, 1.0, 2.0, 5.0, 9.99, 10.0]
    buckets = kll_buckets(values)
    assert len(buckets) == 10
    assert [b["lower_bound"] for b in buckets] == [float(i) for i in range(10)]
    assert [b["upper_bound"] for b in buckets] == [float(i) for i in range(1, 11)]
    # a value on an inner edge belongs to the bucket above it; the max to the last bucket
    assert [b["count"] for b in buckets] == [1, 1, 1, 0, 0, 1, 0, 0, 0, 2]
    assert sum(b["count"] for b in buckets) == len(values)


def test_buckets_of_awkward_ranges_still_count_every_value():
    values = [0.1 * i for i in range(1, 1000)] + [0.3]
    buckets = kll_buckets(values)
    assert buckets[0]["lower_bound"] == min(values)
    assert buckets[-1]["upper_bound"] == max(values)
    assert sum(b["count"] for b in buckets) == len(values)
    for left, right in zip(buckets, buckets[1:]):
        assert left["upper_bound"] == right["lower_bound"]


def test_a_constant_feature_lands_in_the_last_bucket():
    buckets = kll_buckets([3.0] * 5)
    assert all(b["lower_bound"] == b["upper_bound"] == 3.0 for b in buckets)
    assert [b["count"] for b in buckets] == [0] * 9 + [5]


def test_kll_sketch_is_exact_until_the_first_compaction():
    sketch = KLLSketch()
    for v in range(2050):
        sketch.update(float(v))
    assert sketch.levels == [[float(v) for v in range(2050)]]


def test_kll_sketch_compacts_without_losing_weight():
    sketch = KLLSketch(k=16)
    values = [float((v * 7919) % 1000) for v in range(5000)]
    for v in values:
        sketch.update(v)
    assert len(sketch.levels) > 1
    assert sum(len(level) * 2 ** h for h, level in enumerate(sketch.levels)) == len(values)
    assert sum(map(len, sketch.levels)) < 200
    assert all(min(values) <= v <= max(values) for level in sketch.levels for v in level)


def test_constraints_follow_the_constraints_json_schema():
    rows = [{"a": "1", "b": "-2.5"}, {"a": "", "b": "4.5"}]
    constraints = constraints_from_statistics(statistics_from_rows(rows, features=("a", "b")), 0.2)
    assert constraints["version"] == 0
    assert constraints["features"] == [
        {"name": "a", "inferred_type": "Integral", "completeness": 0.5,
         "num_constraints": {"is_non_negative": True}},
        {"name": "b", "inferred_type": "Fractional", "completeness": 1.0,
         "num_constraints": {"is_non_negative": False}},
    ]
    config = constraints["monitoring_config"]
    assert config["emit_metrics"] == "Enabled"
    assert config["distribution_constraints"] == {
        "perform_comparison": "Enabled", "comparison_threshold": 0.2, "comparison_method": "Robust"}


def test_a_feature_without_values_cannot_be_baselined():
    with pytest.raises(ValueError, match="no values"):
        statistics_from_rows([{"a": ""}], features=("a",))


def _write_train_csv(path, rows):
    columns = ["date", "store_id", "units", *FEATURES]
    with open(path / "train.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def test_stage_writes_both_files_for_the_endpoint_features(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    rows = [{"date": f"2024-02-{d:02d}", "store_id": "S001", "units": 100 + d,
             "lag_1": f"{99.0 + d}", "lag_7": f"{95.0 + d}", "lag_14": f"{90.0 + d}",
             "rolling_mean_7": f"{97.5 + d / 7}", "day_of_week": d % 7, "month": 2}
            for d in range(1, 29)]
    _write_train_csv(tmp_path / "in", rows)
    monkeypatch.setenv("MLOPS_INPUT_URI", str(tmp_path / "in"))
    monkeypatch.setenv("MLOPS_OUTPUT_URI", f"file://{tmp_path}/out/")
    monkeypatch.delenv("MLOPS_PARAMS", raising=False)
    baseline.main()
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    constraints = json.loads((tmp_path / "out" / "constraints.json").read_text())
    assert [f["name"] for f in stats["features"]] == list(FEATURES)  # the endpoint's CSV order
    assert stats["dataset"]["item_count"] == 28
    types = {f["name"]: f["inferred_type"] for f in stats["features"]}
    assert types["lag_7"] == "Fractional" and types["day_of_week"] == "Integral"
    assert _numbers(stats, "day_of_week")["max"] == 6.0
    assert [f["name"] for f in constraints["features"]] == list(FEATURES)
    distribution = constraints["monitoring_config"]["distribution_constraints"]
    assert distribution["comparison_threshold"] == 0.1


def test_stage_rejects_a_train_csv_without_the_features(tmp_path, monkeypatch):
    (tmp_path / "train.csv").write_text("date,store_id,units\n2024-01-01,S001,3\n")
    monkeypatch.setenv("MLOPS_INPUT_URI", str(tmp_path))
    monkeypatch.setenv("MLOPS_OUTPUT_URI", str(tmp_path / "out"))
    with pytest.raises(SystemExit, match="lacks columns"):
        baseline.main()
