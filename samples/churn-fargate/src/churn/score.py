"""score (batch, full mode): one task scores every customer file under the input prefix.

The model comes from MLOPS_MODEL_URI (the approved version's train output, injected by
the batch pipeline); MODEL_URI may be set by hand for a local run.
"""
import io
import os
import pickle

import pandas as pd

from churn import storage
from churn.features import add_features


def main():
    input_uri, output_uri, _ = storage.stage_env()
    model_uri = os.environ.get("MLOPS_MODEL_URI") or os.environ["MODEL_URI"]
    model = pickle.loads(storage.read_bytes(storage.join(model_uri, "model.pkl")))
    total = 0
    for uri in storage.list_uris(input_uri, ".csv"):
        data = add_features(pd.read_csv(io.BytesIO(storage.read_bytes(uri))))
        scored = pd.DataFrame({
            "customer_id": data["customer_id"],
            "churn_probability": model.predict_proba(data[model.feature_names_])[:, 1].round(6),
        })
        name = uri.rstrip("/").rsplit("/", 1)[-1].replace(".csv", ".predictions.csv")
        storage.write_bytes(storage.join(output_uri, name), scored.to_csv(index=False).encode())
        total += len(scored)
    print(f"score: {total} customers scored into {output_uri}")


if __name__ == "__main__":
    main()
