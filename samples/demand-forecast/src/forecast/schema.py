"""Pure helpers (no numpy, pandas or AWS), unit-tested in tests/."""
import json
import math
from pathlib import Path

TARGET = "units"
LAGS = (1, 7, 14)
FEATURES = ("lag_1", "lag_7", "lag_14", "rolling_mean_7", "day_of_week", "month")
INT_PARAMS = {"num_round", "max_depth", "early_stopping_rounds"}
FLOAT_PARAMS = {"eta", "subsample", "colsample_bytree", "min_child_weight", "gamma"}
SAGEMAKER_HYPERPARAMETERS = Path("/opt/ml/input/config/hyperparameters.json")


def coerce_hyperparameters(raw):
    """SageMaker passes every hyper-parameter as a string; give xgboost real types."""
    out = {}
    for key, value in raw.items():
        if key in INT_PARAMS:
            out[key] = int(float(value))
        elif key in FLOAT_PARAMS:
            out[key] = float(value)
        else:
            out[key] = str(value)
    return out


def load_hyperparameters(env_params, sagemaker_file=SAGEMAKER_HYPERPARAMETERS):
    """MLOPS_PARAMS, overlaid by the file a SageMaker tuning job writes for each trial."""
    merged = dict(env_params)
    if sagemaker_file.exists():
        merged.update(json.loads(sagemaker_file.read_text()))
    return coerce_hyperparameters(merged)


def rmse(actual, predicted):
    pairs = list(zip(actual, predicted, strict=True))
    return math.sqrt(sum((a - p) ** 2 for a, p in pairs) / len(pairs))


def mape(actual, predicted):
    """Mean absolute percentage error over the rows with non-zero actuals (a fraction)."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    return sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)
