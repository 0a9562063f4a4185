"""transform: engineer features and split into train/test with a stable hash split."""
import io
import os

import pandas as pd

from churn import storage
from churn.features import add_features
from churn.schema import in_test_split


def main():
    input_uri, output_uri, _ = storage.stage_env()
    fraction = float(os.environ.get("TEST_FRACTION", "0.2"))
    raw = pd.read_csv(io.BytesIO(storage.read_bytes(storage.join(input_uri, "customers.csv"))))
    data = add_features(raw)
    is_test = data["customer_id"].map(lambda cid: in_test_split(cid, fraction))
    for name, part in (("train.csv", data[~is_test]), ("test.csv", data[is_test])):
        storage.write_bytes(storage.join(output_uri, name), part.to_csv(index=False).encode())
    print(f"transform: {int((~is_test).sum())} train rows, {int(is_test.sum())} test rows")


if __name__ == "__main__":
    main()
