"""Score the trained model on the test split and write evaluation.json for the gate.

Runs in SageMaker's XGBoost image as a processing job (the `evaluate` stage): the model artifact
(model.tar.gz of the training job) is under /opt/ml/processing/model, the test split under
/opt/ml/processing/test. Writes /opt/ml/processing/evaluation/evaluation.json in the layout of
SageMaker's model quality metrics (`regression_metrics.mse.value`), which the gate reads.
"""

from __future__ import annotations

import glob
import json
import os
import pickle
import tarfile

import numpy as np
import pandas as pd
import xgboost

BASE = "/opt/ml/processing"


def load_model(folder: str) -> xgboost.Booster:
    with tarfile.open(os.path.join(folder, "model.tar.gz")) as archive:
        archive.extractall(folder, filter="data")
    # The built-in algorithm saves the booster as `xgboost-model`: a pickle in versions before
    # 1.3, XGBoost's own format after.
    path = os.path.join(folder, "xgboost-model")
    try:
        booster = xgboost.Booster()
        booster.load_model(path)
        return booster
    except xgboost.core.XGBoostError:
        with open(path, "rb") as handle:
            return pickle.load(handle)


def read_test(folder: str) -> pd.DataFrame:
    files = sorted(glob.glob(os.path.join(folder, "*.csv")))
    return pd.concat((pd.read_csv(path, header=None) for path in files), ignore_index=True)


def main() -> None:
    booster = load_model(os.path.join(BASE, "model"))
    test = read_test(os.path.join(BASE, "test"))
    labels, rows = test.iloc[:, 0].to_numpy(), test.iloc[:, 1:].to_numpy()
    predictions = booster.predict(xgboost.DMatrix(rows))
    errors = labels - predictions
    report = {"regression_metrics": {
        "mse": {"value": float(np.mean(errors ** 2)), "standard_deviation": float(np.std(errors))}}}
    folder = os.path.join(BASE, "evaluation")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "evaluation.json"), "w") as handle:
        json.dump(report, handle)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
