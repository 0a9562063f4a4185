"""evaluate: ranking and decision quality on the hold-out -> metrics.json for the gate."""
import io
import json
import os
import pickle

import pandas as pd
from sklearn.metrics import confusion_matrix, roc_auc_score

from fraud import storage
from fraud.features import LABEL, featurize


def main():
    input_uri, output_uri, _ = storage.stage_env()
    threshold = float(os.environ.get("SCORE_THRESHOLD", "0.5"))
    model = pickle.loads(storage.read_bytes(storage.join(input_uri, "model.pkl")))
    raw = storage.read_bytes(storage.join(input_uri, "holdout.csv"))
    holdout = pd.read_csv(io.BytesIO(raw), dtype={"merchant_category": str})
    scores = model.predict_proba([featurize(r) for r in holdout.to_dict("records")])[:, 1]
    tn, fp, fn, tp = confusion_matrix(holdout[LABEL], scores >= threshold, labels=[0, 1]).ravel()
    metrics = {
        "auc": round(float(roc_auc_score(holdout[LABEL], scores)), 6),
        "recall": round(float(tp / max(tp + fn, 1)), 6),
        "precision": round(float(tp / max(tp + fp, 1)), 6),
        "false_positive_rate": round(float(fp / max(fp + tn, 1)), 6),
        "holdout_rows": len(holdout),
    }
    storage.write_bytes(storage.join(output_uri, "metrics.json"),
                        json.dumps(metrics, indent=2).encode())
    print(f"evaluate: {metrics}")


if __name__ == "__main__":
    main()
