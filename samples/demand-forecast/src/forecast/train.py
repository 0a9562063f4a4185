"""train (and every trial of tune): fit XGBoost, report validation:rmse for the tuner."""
import io
import os
from pathlib import Path

import pandas as pd
import xgboost as xgb

from forecast import storage
from forecast.schema import FEATURES, TARGET, load_hyperparameters


def main():
    input_uri, output_uri, params = storage.stage_env()
    params = load_hyperparameters(params)
    num_round = params.pop("num_round", 100)
    train, valid = (pd.read_csv(io.BytesIO(storage.read_bytes(storage.join(input_uri, name))))
                    for name in ("train.csv", "validation.csv"))
    dtrain = xgb.DMatrix(train[list(FEATURES)], label=train[TARGET])
    dvalid = xgb.DMatrix(valid[list(FEATURES)], label=valid[TARGET])
    history = {}
    booster = xgb.train({**params, "eval_metric": "rmse"}, dtrain, num_round,
                        evals=[(dvalid, "validation")], evals_result=history, verbose_eval=False)
    # The tuning job's metric definition matches this line: validation:rmse=([0-9.]+)
    print(f"validation:rmse={history['validation']['rmse'][-1]:.6f}")
    if os.environ.get("MLOPS_STAGE") == "tune":  # trials share the stage's output prefix
        output_uri = storage.join(output_uri, os.environ.get("TRAINING_JOB_NAME", "trial"))
    model = booster.save_raw("json")
    storage.write_bytes(storage.join(output_uri, "model.json"), bytes(model))
    storage.write_bytes(storage.join(output_uri, "validation.csv"),
                        valid.to_csv(index=False).encode())
    if Path("/opt/ml/model").is_dir():  # SageMaker packs this into model.tar.gz for the endpoint
        Path("/opt/ml/model/model.json").write_bytes(bytes(model))


if __name__ == "__main__":
    main()
