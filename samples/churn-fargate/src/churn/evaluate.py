"""evaluate: score the hold-out set and write metrics.json for the gate."""
import io
import json
import pickle

import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from churn import storage
from churn.schema import LABEL


def main():
    input_uri, output_uri, _ = storage.stage_env()
    model = pickle.loads(storage.read_bytes(storage.join(input_uri, "model.pkl")))
    test = pd.read_csv(io.BytesIO(storage.read_bytes(storage.join(input_uri, "test.csv"))))
    proba = model.predict_proba(test[model.feature_names_])[:, 1]
    metrics = {
        "auc": round(float(roc_auc_score(test[LABEL], proba)), 6),
        "logloss": round(float(log_loss(test[LABEL], proba, labels=[0, 1])), 6),
        "accuracy": round(float(accuracy_score(test[LABEL], proba >= 0.5)), 6),
        "test_rows": len(test),
    }
    storage.write_bytes(storage.join(output_uri, "metrics.json"),
                        json.dumps(metrics, indent=2).encode())
    print(f"evaluate: {metrics}")


if __name__ == "__main__":
    main()
