import json
import logging
import random
from datetime import datetime, timezone

import numpy as np
import pytest

from fraud import handler as handler_module
from fraud.capture import capture_key, capture_record, maybe_capture, should_capture

WHEN = datetime(2024, 6, 1, 9, 7, 5, 123456, tzinfo=timezone.utc)
TXN = {"txn_id": "T1", "amount": "99.0", "hour": 3, "merchant_category": "7995",
       "country_mismatch": 1, "card_age_days": 12, "txns_last_24h": 4}


def test_sampling_draws_against_the_percentage():
    assert should_capture(5, rand=lambda: 0.049)
    assert not should_capture(5, rand=lambda: 0.05)
    assert not should_capture(0, rand=lambda: 0.0)
    assert should_capture(100, rand=lambda: 0.999999)
    assert should_capture(12.5, rand=lambda: 0.12)
    draws = random.Random(7)
    hits = sum(should_capture(5, rand=draws.random) for _ in range(20_000))
    assert 850 < hits < 1150  # 5% of 20,000 is 1,000


def test_capture_record_has_sagemaker_data_capture_shape():
    record = capture_record('{"transactions": []}', '{"results": []}', "e-1", WHEN)
    assert record == {
        "captureData": {
            "endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                              "data": '{"transactions": []}', "encoding": "JSON"},
            "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                               "data": '{"results": []}', "encoding": "JSON"},
        },
        "eventMetadata": {"eventId": "e-1", "inferenceTime": "2024-06-01T09:07:05Z"},
        "eventVersion": "0",
    }


def test_capture_key_is_the_utc_hour_folder_and_event_id():
    base = "s3://acme-ml-artifacts/fraud-scoring/dev/monitor/capture/"
    assert capture_key(base, "e-1", WHEN) == base + "2024/06/01/09/e-1.jsonl"
    assert capture_key(base.rstrip("/"), "e-1", WHEN) == base + "2024/06/01/09/e-1.jsonl"


def _env(**extra):
    return {"MLOPS_CAPTURE_URI": "s3://bucket/capture/", "MLOPS_CAPTURE_PERCENT": "5", **extra}


def test_maybe_capture_writes_one_json_line_when_drawn():
    written = {}
    key = maybe_capture("req", "resp", WHEN, rand=lambda: 0.01, env=_env(),
                        new_id=lambda: "e-9", write=written.__setitem__)
    assert key == "s3://bucket/capture/2024/06/01/09/e-9.jsonl"
    data = written[key]
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data) == capture_record("req", "resp", "e-9", WHEN)


def test_maybe_capture_skips_undrawn_requests_and_disabled_capture():
    written = {}
    assert maybe_capture("req", "resp", WHEN, rand=lambda: 0.5, env=_env(),
                         write=written.__setitem__) is None
    assert maybe_capture("req", "resp", WHEN, rand=lambda: 0.0, env={},
                         write=written.__setitem__) is None
    assert written == {}


def test_a_capture_failure_is_logged_not_raised(caplog):
    def broken(uri, data):
        raise OSError("S3 is down")

    with caplog.at_level(logging.ERROR, logger="fraud.capture"):
        assert maybe_capture("req", "resp", WHEN, rand=lambda: 0.0, env=_env(),
                             write=broken) is None
        assert maybe_capture("req", "resp", WHEN, rand=lambda: 0.0,
                             env=_env(MLOPS_CAPTURE_PERCENT="five")) is None
    assert len(caplog.records) == 2
    assert "data capture failed" in caplog.records[0].getMessage()


class _FixedModel:
    def predict_proba(self, rows):
        return np.array([[0.3, 0.7] for _ in rows])


@pytest.fixture
def scored(monkeypatch):
    monkeypatch.setattr(handler_module, "_MODEL", _FixedModel())
    monkeypatch.setenv("SCORE_THRESHOLD", "0.5")
    monkeypatch.delenv("MLOPS_CAPTURE_URI", raising=False)
    return handler_module.handler


def test_handler_captures_a_drawn_request(scored, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_CAPTURE_URI", f"file://{tmp_path}/capture/")
    monkeypatch.setenv("MLOPS_CAPTURE_PERCENT", "5")
    body = json.dumps({"transactions": [TXN]})
    response = scored({"body": body}, None, rand=lambda: 0.04, clock=lambda: WHEN)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "results": [{"txn_id": "T1", "score": 0.7, "flag": True}]}
    files = list((tmp_path / "capture" / "2024" / "06" / "01" / "09").glob("*.jsonl"))
    assert len(files) == 1
    record = json.loads(files[0].read_text())
    assert files[0].name == record["eventMetadata"]["eventId"] + ".jsonl"
    assert record["captureData"]["endpointInput"]["data"] == body
    assert record["captureData"]["endpointOutput"]["data"] == response["body"]
    assert record["eventMetadata"]["inferenceTime"] == "2024-06-01T09:07:05Z"


def test_handler_does_not_capture_an_undrawn_request(scored, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_CAPTURE_URI", f"file://{tmp_path}/capture/")
    monkeypatch.setenv("MLOPS_CAPTURE_PERCENT", "5")
    response = scored({"body": json.dumps(TXN)}, None, rand=lambda: 0.06, clock=lambda: WHEN)
    assert response["statusCode"] == 200
    assert not (tmp_path / "capture").exists()


def test_handler_answers_when_capture_fails(scored, tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")  # the capture folder cannot be created
    monkeypatch.setenv("MLOPS_CAPTURE_URI", f"file://{tmp_path}/not-a-folder/")
    monkeypatch.setenv("MLOPS_CAPTURE_PERCENT", "100")
    response = scored({"body": json.dumps(TXN)}, None, clock=lambda: WHEN)
    assert response["statusCode"] == 200


def test_handler_captures_rejected_requests_too(scored, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_CAPTURE_URI", str(tmp_path / "capture"))
    monkeypatch.setenv("MLOPS_CAPTURE_PERCENT", "100")
    response = scored({"body": json.dumps({"amount": 3})}, None, clock=lambda: WHEN)
    assert response["statusCode"] == 400
    (record_file,) = (tmp_path / "capture").rglob("*.jsonl")
    assert json.loads(record_file.read_text())["captureData"]["endpointOutput"]["data"] \
        == response["body"]
