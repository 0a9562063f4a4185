"""Lambda handler behind API Gateway: POST {"transactions": [{...}, ...]} -> fraud scores.

The model is read once per execution environment from MLOPS_MODEL_URI (the deployed
registry version's train output; MODEL_URI may be set by hand for a local run).
With MLOPS_CAPTURE_URI set, a sample of the requests and responses (MLOPS_CAPTURE_PERCENT)
is written to S3 for the drift job (fraud.capture); a capture failure never fails a request.
"""
import json
import os
import pickle
import random
from datetime import datetime, timezone

from fraud import capture, storage
from fraud.features import featurize

_MODEL = None


def _model():
    global _MODEL
    if _MODEL is None:
        base = os.environ.get("MLOPS_MODEL_URI") or os.environ["MODEL_URI"]
        _MODEL = pickle.loads(storage.read_bytes(storage.join(base, "model.pkl")))
    return _MODEL


def _response(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}


def _utcnow():
    return datetime.now(timezone.utc)


def handler(event, context, *, rand=random.random, clock=_utcnow):
    """Lambda entry point; `rand` and `clock` feed the capture sampling (tests inject them)."""
    received = clock()
    request_body = event.get("body") or "{}"
    response = _score(request_body)
    capture.maybe_capture(request_body, response["body"], received, rand=rand)
    return response


def _score(request_body):
    try:
        body = json.loads(request_body)
        txns = body.get("transactions") or [body]
        rows = [featurize(t) for t in txns]
    except (ValueError, TypeError, AttributeError) as exc:
        return _response(400, {"error": str(exc)})
    threshold = float(os.environ.get("SCORE_THRESHOLD", "0.5"))
    scores = _model().predict_proba(rows)[:, 1]
    return _response(200, {"results": [
        {"txn_id": t.get("txn_id"), "score": round(float(s), 6), "flag": bool(s >= threshold)}
        for t, s in zip(txns, scores)]})
