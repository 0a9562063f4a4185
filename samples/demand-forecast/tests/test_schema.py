import json

import pytest

from forecast.schema import coerce_hyperparameters, load_hyperparameters, mape, rmse


def test_sagemaker_string_hyperparameters_get_real_types():
    raw = {"num_round": "200", "max_depth": "6.0", "eta": "0.05", "booster": "dart"}
    assert coerce_hyperparameters(raw) == {
        "num_round": 200, "max_depth": 6, "eta": 0.05, "booster": "dart"}


def test_tuning_trial_file_overrides_mlops_params(tmp_path):
    trial = tmp_path / "hyperparameters.json"
    trial.write_text(json.dumps({"eta": "0.2", "max_depth": "4"}))
    params = load_hyperparameters({"num_round": 200, "eta": 0.1}, sagemaker_file=trial)
    assert params == {"num_round": 200, "eta": 0.2, "max_depth": 4}
    assert load_hyperparameters({"eta": "0.1"}, sagemaker_file=tmp_path / "absent") == {"eta": 0.1}


def test_error_metrics():
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx((4 / 3) ** 0.5)
    assert mape([100, 0, 50], [110, 7, 45]) == pytest.approx(0.1)  # zero actuals are skipped
