"""train: fit a scaled logistic regression; hand the hold-out set on to evaluate."""
import io
import pickle

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from churn import storage
from churn.schema import LABEL, feature_columns


def main():
    input_uri, output_uri, params = storage.stage_env()
    train = pd.read_csv(io.BytesIO(storage.read_bytes(storage.join(input_uri, "train.csv"))))
    columns = feature_columns(train.columns)
    model = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=float(params.get("C", 1.0)),
                           max_iter=int(params.get("max_iter", 200))),
    )
    model.fit(train[columns], train[LABEL])
    model.feature_names_ = columns
    storage.write_bytes(storage.join(output_uri, "model.pkl"), pickle.dumps(model))
    # evaluate only sees this stage's output (MLOPS_INPUT_URI), so pass the hold-out on.
    test = storage.read_bytes(storage.join(input_uri, "test.csv"))
    storage.write_bytes(storage.join(output_uri, "test.csv"), test)
    print(f"train: fitted on {len(train)} rows, {len(columns)} features")


if __name__ == "__main__":
    main()
