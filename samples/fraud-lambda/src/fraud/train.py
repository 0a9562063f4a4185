"""train: gradient-boosted trees on the shared features; the hold-out goes on to evaluate."""
import io
import os
import pickle

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from fraud import storage
from fraud.features import LABEL, featurize, in_holdout


def main():
    input_uri, output_uri, params = storage.stage_env()
    fraction = float(os.environ.get("HOLDOUT_FRACTION", "0.25"))
    raw = storage.read_bytes(storage.join(input_uri, "transactions.csv"))
    data = pd.read_csv(io.BytesIO(raw), dtype={"merchant_category": str})
    holdout = data["txn_id"].map(lambda t: in_holdout(t, fraction))
    train = data[~holdout]
    model = HistGradientBoostingClassifier(
        learning_rate=float(params.get("learning_rate", 0.1)),
        max_iter=int(params.get("max_iter", 200)),
        max_leaf_nodes=int(params.get("max_leaf_nodes", 31)),
        class_weight="balanced",
        random_state=0,
    )
    model.fit([featurize(r) for r in train.to_dict("records")], train[LABEL])
    storage.write_bytes(storage.join(output_uri, "model.pkl"), pickle.dumps(model))
    storage.write_bytes(storage.join(output_uri, "holdout.csv"),
                        data[holdout].to_csv(index=False).encode())
    print(f"train: {len(train)} rows, {int(train[LABEL].sum())} frauds")


if __name__ == "__main__":
    main()
