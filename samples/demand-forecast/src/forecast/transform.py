"""transform: daily sales per store -> lag features, split by date (the last N days validate)."""
import io
import os

import pandas as pd

from forecast import storage
from forecast.features import add_lag_features


def main():
    input_uri, output_uri, _ = storage.stage_env()
    days = int(os.environ.get("VALIDATION_DAYS", "28"))
    frames = [pd.read_csv(io.BytesIO(storage.read_bytes(u)))
              for u in storage.list_uris(input_uri, ".csv")]
    if not frames:
        raise SystemExit(f"transform: no .csv files under {input_uri}")
    data = add_lag_features(pd.concat(frames, ignore_index=True))
    cutoff = data["date"].max() - pd.Timedelta(days=days)
    for name, part in (("train.csv", data[data["date"] <= cutoff]),
                       ("validation.csv", data[data["date"] > cutoff])):
        storage.write_bytes(storage.join(output_uri, name), part.to_csv(index=False).encode())
    print(f"transform: {len(data)} rows, validation after {cutoff.date()}")


if __name__ == "__main__":
    main()
