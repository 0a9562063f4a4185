"""Lambda handler behind API Gateway: POST {"transactions": [{...}, ...]} -> fraud scores.

The model is read once per execution environment from MLOPS_MODEL_URI (the deployed
registry version's train output; MODEL_URI may be set by hand for a local run).
"""
import json
import os
import pickle

from fraud import storage
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


def handler(event, context):
    try:
        body = json.loads(event.get("body") or "{}")
        txns = body.get("transactions") or [body]
        rows = [featurize(t) for t in txns]
    except (ValueError, TypeError, AttributeError) as exc:
        return _response(400, {"error": str(exc)})
    threshold = float(os.environ.get("SCORE_THRESHOLD", "0.5"))
    scores = _model().predict_proba(rows)[:, 1]
    return _response(200, {"results": [
        {"txn_id": t.get("txn_id"), "score": round(float(s), 6), "flag": bool(s >= threshold)}
        for t, s in zip(txns, scores)]})
