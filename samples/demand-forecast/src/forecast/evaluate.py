"""evaluate: RMSE and MAPE on the validation window -> metrics.json for the gate."""
import io
import json

import pandas as pd
import xgboost as xgb

from forecast import storage
from forecast.schema import FEATURES, TARGET, mape, rmse


def main():
    input_uri, output_uri, _ = storage.stage_env()
    booster = xgb.Booster()
    booster.load_model(bytearray(storage.read_bytes(storage.join(input_uri, "model.json"))))
    valid = pd.read_csv(io.BytesIO(storage.read_bytes(storage.join(input_uri, "validation.csv"))))
    predicted = booster.predict(xgb.DMatrix(valid[list(FEATURES)])).tolist()
    actual = valid[TARGET].tolist()
    metrics = {
        "rmse": round(rmse(actual, predicted), 6),
        "mape": round(mape(actual, predicted), 6),
        "validation_rows": len(valid),
    }
    storage.write_bytes(storage.join(output_uri, "metrics.json"),
                        json.dumps(metrics, indent=2).encode())
    print(f"evaluate: {metrics}")


if __name__ == "__main__":
    main()
