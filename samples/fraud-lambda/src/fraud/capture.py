"""Data capture for the Lambda handler, in SageMaker data capture's JSON Lines shape.

With MLOPS_CAPTURE_URI set, each request is captured with probability
MLOPS_CAPTURE_PERCENT / 100: one record per request, written to
<MLOPS_CAPTURE_URI><yyyy>/<mm>/<dd>/<hh>/<eventId>.jsonl (UTC hour of the request).
The record and key functions are pure; maybe_capture() takes its random source, clock-derived
time, id and writer as arguments so tests need neither S3 nor luck.
"""
import json
import logging
import os
import random
import uuid

from fraud import storage

log = logging.getLogger(__name__)


def should_capture(percent, rand=random.random):
    """True with probability percent / 100 (rand() is uniform in [0, 1))."""
    return rand() * 100.0 < percent


def capture_record(request_body, response_body, event_id, when):
    """One captured request/response pair; `when` is an aware UTC datetime."""
    def channel(mode, data):
        return {"observedContentType": "application/json", "mode": mode, "data": data,
                "encoding": "JSON"}

    return {
        "captureData": {"endpointInput": channel("INPUT", request_body),
                        "endpointOutput": channel("OUTPUT", response_body)},
        "eventMetadata": {"eventId": event_id,
                          "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }


def capture_key(capture_uri, event_id, when):
    """Where a record goes: one object per request under its UTC hour's folder."""
    return storage.join(capture_uri, f"{when:%Y/%m/%d/%H}/{event_id}.jsonl")


def maybe_capture(request_body, response_body, when, *, rand=random.random, env=os.environ,
                  new_id=lambda: str(uuid.uuid4()), write=storage.write_bytes):
    """Capture one request if capture is on and the draw says so; return the key or None.

    Never raises: a capture failure is logged and the request is answered as usual.
    """
    capture_uri = env.get("MLOPS_CAPTURE_URI")
    if not capture_uri:
        return None
    try:
        if not should_capture(float(env.get("MLOPS_CAPTURE_PERCENT", "0")), rand):
            return None
        event_id = new_id()
        key = capture_key(capture_uri, event_id, when)
        record = capture_record(request_body, response_body, event_id, when)
        write(key, (json.dumps(record) + "\n").encode("utf-8"))
        return key
    except Exception:  # noqa: BLE001 - capture must never fail the request
        log.exception("data capture failed; the request is answered without it")
        return None
