"""validate: concatenate the transaction extracts and reject a malformed batch."""
import io
import json
import sys

import pandas as pd

from fraud import storage
from fraud.features import LABEL, REQUIRED_FIELDS


def main():
    input_uri, output_uri, _ = storage.stage_env()
    uris = storage.list_uris(input_uri, ".csv")
    if not uris:
        sys.exit(f"validate: no .csv files under {input_uri}")
    frames = [pd.read_csv(io.BytesIO(storage.read_bytes(u)), dtype={"merchant_category": str})
              for u in uris]
    data = pd.concat(frames, ignore_index=True)
    missing = [c for c in (*REQUIRED_FIELDS, LABEL) if c not in data.columns]
    if missing:
        sys.exit(f"validate: missing columns {missing}")
    report = {
        "rows": len(data),
        "fraud_rate": round(float(data[LABEL].mean()), 6),
        "duplicate_ids": int(data["txn_id"].duplicated().sum()),
        "bad_hours": int((~data["hour"].between(0, 23)).sum()),
        "negative_amounts": int((data["amount"] < 0).sum()),
    }
    storage.write_bytes(storage.join(output_uri, "validation.json"),
                        json.dumps(report, indent=2).encode())
    if report["duplicate_ids"] or report["bad_hours"] or report["negative_amounts"] \
            or not 0 < report["fraud_rate"] < 0.5:
        sys.exit(f"validate: rejected: {report}")
    storage.write_bytes(storage.join(output_uri, "transactions.csv"),
                        data.to_csv(index=False).encode())
    print(f"validate: {report}")


if __name__ == "__main__":
    main()
