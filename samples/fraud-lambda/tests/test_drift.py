import base64
import json
import os
import random
from datetime import datetime, timedelta, timezone

import pytest

from fraud import baseline, drift
from fraud.baseline import kll_buckets, statistics_from_rows
from fraud.capture import capture_record, maybe_capture
from fraud.drift import (baseline_drift, drift_distances, featurized_rows, metric_data,
                         put_metric_data_requests, request_transactions, window_prefixes)
from fraud.features import FEATURE_NAMES, featurize

NOW = datetime(2024, 6, 1, 10, 5, tzinfo=timezone.utc)


def _txn(i, amount=None, velocity=None):
    rnd = random.Random(i)
    return {"txn_id": f"T{i}", "amount": amount if amount is not None else rnd.lognormvariate(4, 1),
            "hour": rnd.randrange(24), "merchant_category": rnd.choice(["5999", "5541", "7995"]),
            "country_mismatch": int(rnd.random() < 0.1), "card_age_days": rnd.randrange(1, 2000),
            "txns_last_24h": velocity if velocity is not None else rnd.randrange(1, 10)}


def _line(body):
    return json.dumps(capture_record(json.dumps(body), "{}", "e", NOW))


def test_window_is_the_last_complete_utc_hours():
    base = "s3://b/capture/"
    assert window_prefixes(base, NOW, 1) == ["s3://b/capture/2024/06/01/09/"]
    assert window_prefixes(base, datetime(2024, 6, 1, 1, 30, tzinfo=timezone.utc), 3) == [
        "s3://b/capture/2024/05/31/22/", "s3://b/capture/2024/05/31/23/",
        "s3://b/capture/2024/06/01/00/"]
    paris = timezone(timedelta(hours=2))
    assert window_prefixes(base, datetime(2024, 6, 1, 12, 5, tzinfo=paris), 1) == \
        ["s3://b/capture/2024/06/01/09/"]
    with pytest.raises(ValueError):
        window_prefixes(base, NOW, 0)


def test_request_bodies_hold_a_batch_or_one_transaction():
    one, two = _txn(1), _txn(2)
    assert request_transactions(json.loads(_line({"transactions": [one, two]}))) == [one, two]
    assert request_transactions(json.loads(_line(one))) == [one]
    record = capture_record(base64.b64encode(json.dumps(one).encode()).decode(), "", "e", NOW)
    record["captureData"]["endpointInput"]["encoding"] = "BASE64"
    assert request_transactions(record) == [one]


def test_unreadable_records_are_skipped_whole():
    good = _line({"transactions": [_txn(1), _txn(2)]})
    half_bad = _line({"transactions": [_txn(3), {"amount": 1}]})
    rows, skipped = featurized_rows([good, half_bad, "not json", "", _line(_txn(4))])
    assert rows == [featurize(_txn(1)), featurize(_txn(2)), featurize(_txn(4))]
    assert skipped == 2


def test_distance_of_identical_data_is_zero():
    values = [random.Random(1).gauss(0, 1) for _ in range(500)]
    assert baseline_drift(kll_buckets(values), values) == 0.0
    assert baseline_drift(kll_buckets([3.0] * 4), [3.0, 3.0]) == 0.0  # constant feature


def test_distance_of_shifted_data_exceeds_the_threshold():
    rnd = random.Random(2)
    values = [rnd.gauss(0, 1) for _ in range(2000)]
    buckets = kll_buckets(values)
    same = [rnd.gauss(0, 1) for _ in range(2000)]
    assert baseline_drift(buckets, same) < 0.05
    assert baseline_drift(buckets, [v + 1.0 for v in same]) > 0.3
    assert baseline_drift(buckets, [max(values) + 1] * 10) == 1.0  # all above the baseline max
    assert baseline_drift(buckets, [min(values) - 1] * 10) == 1.0  # all below the baseline min


def test_distance_is_evaluated_at_the_bucket_edges():
    buckets = kll_buckets([float(v) for v in range(11)])  # edges 0, 1, ..., 10
    # baseline CDF: P(X < e) = e / 11 at the inner edges, P(X <= 10) = 1 at the last one
    assert [b["count"] for b in buckets] == [1] * 9 + [2]
    # moves inside a bucket are invisible: 9.5 shares the last bucket with the baseline's 9
    assert baseline_drift(buckets, [float(v) for v in range(9)] + [9.5, 10.0]) == 0.0
    # a value on an inner edge counts above it, as in the baseline's half-open buckets
    assert baseline_drift(buckets, [5.0]) == pytest.approx(5 / 11)
    # the last edge is closed: the baseline max is inside the baseline range (else 1.0)
    assert baseline_drift(buckets, [10.0]) == pytest.approx(9 / 11)


def test_distance_of_a_binary_feature_is_the_change_in_its_share_of_zeros():
    buckets = kll_buckets([0.0] * 70 + [1.0] * 30)
    assert baseline_drift(buckets, [0.0] * 50 + [1.0] * 50) == pytest.approx(0.2)


def test_feature_distances_from_baseline_statistics():
    txns = [_txn(i) for i in range(400)]
    rows = [featurize(t) for t in txns]
    stats = statistics_from_rows(rows)
    assert drift_distances(stats, rows) == {name: 0.0 for name in FEATURE_NAMES}
    pricier = [featurize({**t, "amount": t["amount"] * 4, "txns_last_24h": 30}) for t in txns]
    distances = drift_distances(stats, pricier)
    assert distances["log_amount"] > 0.15 and distances["velocity_24h"] > 0.2  # mlops.yaml
    assert distances["night"] == 0.0


def test_metric_payload_for_put_metric_data():
    data = metric_data({"log_amount": 0.25, "velocity_24h": 0}, "prod")
    assert data == [
        {"MetricName": "feature_baseline_drift_log_amount",
         "Dimensions": [{"Name": "Environment", "Value": "prod"}], "Value": 0.25, "Unit": "None"},
        {"MetricName": "feature_baseline_drift_velocity_24h",
         "Dimensions": [{"Name": "Environment", "Value": "prod"}], "Value": 0.0, "Unit": "None"},
    ]
    requests = put_metric_data_requests("mlops/fraud-scoring", data)
    assert requests == [{"Namespace": "mlops/fraud-scoring", "MetricData": data}]
    many = put_metric_data_requests("ns", [{}] * 25)
    assert [len(r["MetricData"]) for r in many] == [20, 5]


@pytest.fixture
def job(tmp_path, monkeypatch):
    (tmp_path / "train").mkdir()
    header = "txn_id,amount,hour,merchant_category,country_mismatch,card_age_days,txns_last_24h\n"
    lines = [",".join(str(t[k]) for k in header.strip().split(",")) for t in map(_txn, range(500))]
    (tmp_path / "train" / "transactions.csv").write_text(header + "\n".join(lines) + "\n")
    monkeypatch.setenv("MLOPS_INPUT_URI", str(tmp_path / "train"))
    monkeypatch.setenv("MLOPS_OUTPUT_URI", str(tmp_path / "baseline"))
    baseline.main()
    for name, value in {"MLOPS_CAPTURE_URI": f"file://{tmp_path}/capture/",
                        "MLOPS_BASELINE_URI": f"file://{tmp_path}/baseline/",
                        "MLOPS_METRICS_NAMESPACE": "mlops/fraud-scoring",
                        "MLOPS_ENVIRONMENT": "dev", "MLOPS_MODEL_VERSION": "v3",
                        "MLOPS_DRIFT_WINDOW_HOURS": "1", "MLOPS_CAPTURE_PERCENT": "100"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _capture(txns, when):
    for i in range(0, len(txns), 5):
        body = json.dumps({"transactions": txns[i:i + 5]})
        assert maybe_capture(body, "{}", when, rand=lambda: 0.0, env=os.environ)


def test_job_publishes_one_metric_per_feature(job, capsys):
    _capture([_txn(i, velocity=25) for i in range(1000, 1200)], NOW - timedelta(minutes=30))
    _capture([_txn(i) for i in range(200)], NOW)  # the current hour: not in the window
    published = []
    drift.main(now=NOW, publish=published.extend)
    (request,) = published
    assert request["Namespace"] == "mlops/fraud-scoring"
    names = [m["MetricName"] for m in request["MetricData"]]
    assert names == [f"feature_baseline_drift_{f}" for f in FEATURE_NAMES]
    values = {m["MetricName"]: m["Value"] for m in request["MetricData"]}
    assert values["feature_baseline_drift_velocity_24h"] == 1.0  # 25 is above the baseline max
    assert values["feature_baseline_drift_log_amount"] < 0.15
    assert all(m["Dimensions"] == [{"Name": "Environment", "Value": "dev"}]
               for m in request["MetricData"])
    out = capsys.readouterr().out
    assert "200 transactions" in out and "model version v3" in out


def test_job_publishes_nothing_without_captured_records(job, capsys):
    _capture([_txn(i) for i in range(20)], NOW - timedelta(hours=2))  # outside the window
    published = []
    drift.main(now=NOW, publish=published.extend)
    assert published == []
    assert "no captured records" in capsys.readouterr().out
