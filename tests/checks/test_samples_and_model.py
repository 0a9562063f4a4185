"""The samples validate clean; the normalised model has defaults filled, durations in seconds
and is frozen; `mlopsc schema` prints the shipped JSON Schema. Runs against the installed package."""

import dataclasses
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

import compiler
from compiler import api
from helpers import REPO_ROOT, SAMPLES, mlopsc_script, run_cli


def test_tests_run_against_the_installed_package():
    # `pip install '.[test]'` then plain `pytest`: the source tree must not shadow the package.
    # (The virtual environment may itself live inside the checkout, as .ci/run makes it.)
    installed = Path(compiler.__file__).resolve().parent
    assert installed != (REPO_ROOT / "compiler").resolve()
    assert "site-packages" in installed.parts


def test_every_sample_validates_clean():
    done = subprocess.run([mlopsc_script(), "validate", "samples", "--platform", "samples/mlops-platform.yaml"],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == "4 configs valid (10 environments)\n"


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_samples_clean_in_every_format(fmt):
    out = run_cli(["validate", "samples", "--platform", "samples/mlops-platform.yaml", "--format", fmt], REPO_ROOT)
    assert out.exit_code == 0
    assert out.stdout == ("[]\n" if fmt == "json" else "")


@pytest.fixture(scope="module")
def models():
    result = api.validate([str(SAMPLES)], str(SAMPLES / "mlops-platform.yaml"))
    assert result.ok, result.problems
    return {(m.name, m.environment): m for m in result.models}


def test_one_model_per_config_and_environment(models):
    assert sorted(models) == [("abalone", "ab"), ("abalone", "async"), ("abalone", "prod"), ("abalone", "serverless"),
                              ("abalone", "shadow"), ("abalone", "staging"), ("churn-fargate", "default"),
                              ("demand-forecast", "default"),
                              ("fraud-scoring", "dev"), ("fraud-scoring", "prod")]


def test_durations_are_in_seconds(models):
    churn = models[("churn-fargate", "default")]
    assert churn.retrain.validate.timeout_seconds == 15 * 60        # timeout: 15m on the stage
    assert churn.retrain.transform.timeout_seconds == 30 * 60       # stage_defaults.timeout: 30m
    assert churn.batch.stage.timeout_seconds == 2 * 3600            # timeout: 2h
    assert churn.retrain.train.retry.interval_seconds == 60         # retry.interval: 1m
    demand = models[("demand-forecast", "default")]
    assert demand.retrain.tune.stage.timeout_seconds == 6 * 3600
    assert (demand.deploy.traffic.interval_seconds, demand.deploy.traffic.bake_seconds) == (600, 900)
    assert demand.deploy.poll.interval_seconds == 30
    assert models[("fraud-scoring", "dev")].deploy.function.timeout_seconds == 30


def test_defaults_are_filled(models):
    churn = models[("churn-fargate", "default")]
    assert churn.retrain.validate.instance_type == "ml.m5.large"     # schema default
    assert churn.retrain.validate.volume_gb == 30
    assert churn.retrain.validate.spot is False
    assert churn.retrain.on_commit is False
    assert churn.build.image == "aws/codebuild/standard:7.0"
    assert churn.platform.kms_key is None
    demand = models[("demand-forecast", "default")]
    assert demand.retrain.train.retry.errors == ("States.TaskFailed",)   # retry.errors default
    assert demand.retrain.train.cpu == 1024                               # default, even on SageMaker
    assert demand.batch.tolerated_failure_percent == 0.0
    assert demand.deploy.endpoint.name == "demand-forecast-default"       # defaults to <model>-<environment>
    fraud = models[("fraud-scoring", "prod")]
    assert fraud.deploy.poll.max_attempts == 12 and fraud.deploy.poll.backoff_rate == 1.5
    assert fraud.deploy.function.alias == "live"
    assert fraud.platform.event_bus == "mlops"                            # from the platform file


def test_inheritance_and_overlays(models):
    churn = models[("churn-fargate", "default")]
    # A stage's environment adds to stage_defaults' environment.
    assert dict(churn.retrain.transform.environment) == {"LOG_LEVEL": "info", "PYTHONUNBUFFERED": "1",
                                                         "TEST_FRACTION": "0.2"}
    assert churn.retrain.hyperparameters["C"] == "0.5"                    # strings, for SageMaker
    dev, prod = models[("fraud-scoring", "dev")], models[("fraud-scoring", "prod")]
    assert (dev.retrain.validate.cpu, dev.retrain.validate.memory) == (512, 1024)
    assert (dev.retrain.train.cpu, dev.retrain.train.memory) == (1024, 4096)
    assert dev.deploy.traffic.mode == "all-at-once" and prod.deploy.traffic.mode == "canary"
    assert dev.platform.account == "111111111111" and prod.platform.account == "222222222222"
    assert prod.platform.region == "eu-west-1"                            # kept from the platform file
    assert prod.retrain.data_source == "s3://acme-ml-data-prod/fraud/transactions/"
    demand = models[("demand-forecast", "default")]
    assert demand.platform.kms_key.startswith("arn:aws:kms:eu-west-1:111111111111:key/")  # inline block


def test_model_is_frozen(models):
    model = models[("churn-fargate", "default")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.name = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.retrain.train.timeout_seconds = 1
    with pytest.raises(TypeError):
        model.tags["team"] = "other"                                        # read-only map
    with pytest.raises(TypeError):
        model.retrain.validate.environment["X"] = "1"


def test_sources_are_relative(models):
    assert [s.path for s in models[("churn-fargate", "default")].sources] == ["../mlops-platform.yaml", "mlops.yaml"]


# --- mlopsc schema --------------------------------------------------------------------------

def test_schema_command_prints_the_shipped_schema():
    out = run_cli(["schema"], REPO_ROOT)
    assert out.exit_code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(out.stdout))
    assert out.stdout == (REPO_ROOT / "schemas" / "config-v1.schema.json").read_text(encoding="utf-8")


def test_schema_command_via_console_script():
    done = subprocess.run([mlopsc_script(), "schema"], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0
    assert json.loads(done.stdout) == json.loads((REPO_ROOT / "schemas" / "config-v1.schema.json").read_text())
