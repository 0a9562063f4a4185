"""score (batch, mini mode): each task scores the feature files under its MLOPS_INPUT_URI.

The model comes from MLOPS_MODEL_URI (the approved version's train output, injected by
the batch pipeline); MODEL_URI may be set by hand for a local run.
"""
import io
import os

import pandas as pd
import xgboost as xgb

from forecast import storage
from forecast.schema import FEATURES


def main():
    input_uri, output_uri, _ = storage.stage_env()
    model_uri = os.environ.get("MLOPS_MODEL_URI") or os.environ["MODEL_URI"]
    booster = xgb.Booster()
    booster.load_model(bytearray(storage.read_bytes(storage.join(model_uri, "model.json"))))
    for uri in storage.list_uris(input_uri, ".csv"):
        rows = pd.read_csv(io.BytesIO(storage.read_bytes(uri)))
        rows["predicted_units"] = booster.predict(xgb.DMatrix(rows[list(FEATURES)])).round(3)
        name = uri.rstrip("/").rsplit("/", 1)[-1].replace(".csv", ".predictions.csv")
        out = rows[["store_id", "date", "predicted_units"]].to_csv(index=False).encode()
        storage.write_bytes(storage.join(output_uri, name), out)
        print(f"score: {uri}: {len(rows)} rows")


if __name__ == "__main__":
    main()
