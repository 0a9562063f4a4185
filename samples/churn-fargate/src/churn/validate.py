"""validate: concatenate the raw extracts, reject a bad batch before anything is trained."""
import io
import json
import sys

import pandas as pd

from churn import storage
from churn.schema import CONTRACTS, LABEL, missing_columns


def main():
    input_uri, output_uri, _ = storage.stage_env()
    uris = storage.list_uris(input_uri, ".csv")
    if not uris:
        sys.exit(f"validate: no .csv files under {input_uri}")
    frames = []
    for uri in uris:
        df = pd.read_csv(io.BytesIO(storage.read_bytes(uri)))
        df.columns = [c.strip().lower() for c in df.columns]
        missing = missing_columns(df.columns)
        if missing:
            sys.exit(f"validate: {uri} lacks columns {missing}")
        frames.append(df)
    data = pd.concat(frames, ignore_index=True).drop_duplicates("customer_id", keep="last")
    problems = {
        "label_not_0_1": int((~data[LABEL].isin([0, 1])).sum()),
        "unknown_contract": int((~data["contract"].isin(CONTRACTS)).sum()),
        "negative_tenure": int((data["tenure_months"] < 0).sum()),
        "null_values": int(data.isna().any(axis=1).sum()),
    }
    report = {"files": len(uris), "rows": len(data), **problems}
    storage.write_bytes(storage.join(output_uri, "validation.json"),
                        json.dumps(report, indent=2).encode())
    if any(problems.values()):
        sys.exit(f"validate: rejected: {report}")
    storage.write_bytes(storage.join(output_uri, "customers.csv"),
                        data.to_csv(index=False).encode())
    print(f"validate: {report}")


if __name__ == "__main__":
    main()
