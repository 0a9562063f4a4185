"""Prebuilt images, executed in moto (see sfn_harness.py): a model whose runtimes are all prebuilt
(nothing to build, images.json `{}`), as the abalone example is built: scikit-learn's image runs the
repository's preprocessing script, the built-in XGBoost algorithm trains and serves, XGBoost's image
runs the evaluation script, and a platform team's image pinned by digest validates on Fargate.

The requests the harness recorded are the ones SageMaker and ECS received: the image URIs written
into the definitions, and the code folder the build uploaded for the applied commit as the
processing input `code` at /opt/ml/processing/input/code (as the SageMaker Python SDK's
ScriptProcessor passes it)."""

from __future__ import annotations

import pytest

from compile_helpers import make_repo
from sfn_harness import Registry, applied, execute, item

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

MODEL = "abalone-prebuilt"
COMMIT = "a" * 40  # the commit sfn_harness.applied applies
SKLEARN = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
VALIDATOR = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform/validator@sha256:" + "0123456789abcdef" * 4
CODE = "/opt/ml/processing/input/code"

CONFIG = f"""\
version: 1
model:
  name: {MODEL}
runtimes:
  validator:
    image: {VALIDATOR}
  sklearn:
    image: {{framework: sklearn, version: "1.2-1"}}
    code: src/preprocess
  xgboost:
    image: {{framework: xgboost, version: "1.7-1"}}
  xgboost-scripts:
    image: {{framework: xgboost, version: "1.7-1"}}
    code: src/evaluate
stage_defaults:
  timeout: 1h
  compute: sagemaker
  instance_type: ml.m5.large
pipelines:
  retrain:
    data:
      source: "s3://acme-ml-data/abalone/"
    triggers:
      schedule: "rate(7 days)"
    stages:
      validate:
        runtime: validator
        compute: fargate
        cpu: 1024
        memory: 2048
      transform:
        runtime: sklearn
        command: [python3, {CODE}/main.py]
      train:
        runtime: xgboost
        hyperparameters: {{num_round: "50", objective: "reg:squarederror"}}
      evaluate:
        runtime: xgboost-scripts
        command: [python3, {CODE}/main.py]
        gate:
          - {{metric: rmse, at_most: 3.0}}
    register:
      approval: manual
  deploy:
    target: sagemaker-endpoint
    runtime: xgboost
    endpoint:
      instance_type: ml.m5.large
      instance_count: 1
"""


@pytest.fixture
def abalone(monkeypatch, tmp_path):
    repo = make_repo(tmp_path / "repos", MODEL, CONFIG)
    with applied(monkeypatch, tmp_path, [repo]) as account:
        yield account


def _code_input(request: dict, runtime: str) -> dict:
    return {"InputName": "code", "AppManaged": False, "S3Input": {
        "S3Uri": f"s3://acme-ml-artifacts/{MODEL}/code/{COMMIT}/{runtime}/", "LocalPath": CODE,
        "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}


def test_a_retrain_on_prebuilt_images_gets_their_uris_and_its_code_and_registers_them(abalone):
    # Nothing was built: apply wrote no image pointer, and the pipeline still runs.
    assert item(abalone.session, (f"MODEL#{MODEL}", "POINTERS#default"))["images"] == {}
    abalone.harness.stages.metrics = {"rmse": 2.1}
    run = execute(abalone.sfn, f"{MODEL}-default-retrain", "run-1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)

    runs = {r.stage: r for r in abalone.harness.stages.runs}
    assert [r.stage for r in abalone.harness.stages.runs] == ["validate", "transform", "train", "evaluate"]
    transform, train, evaluate = runs["transform"].request, runs["train"].request, runs["evaluate"].request
    assert transform["AppSpecification"]["ImageUri"] == SKLEARN
    assert transform["AppSpecification"]["ContainerEntrypoint"] == ["python3", f"{CODE}/main.py"]
    assert transform["ProcessingInputs"] == [_code_input(transform, "sklearn")]
    assert train["AlgorithmSpecification"]["TrainingImage"] == XGBOOST and "ProcessingInputs" not in train
    assert evaluate["AppSpecification"]["ImageUri"] == XGBOOST
    assert evaluate["ProcessingInputs"] == [_code_input(evaluate, "xgboost-scripts")]

    # The Fargate stage ran the task definition apply registered with the image pinned by digest.
    ecs = abalone.session.client("ecs")
    task = ecs.describe_task_definition(taskDefinition=f"{MODEL}-default-retrain-validate")["taskDefinition"]
    assert task["containerDefinitions"][0]["image"] == VALIDATOR

    version = item(abalone.session, (f"MODEL#{MODEL}", "VERSION#default#run-1"))
    assert version["images"] == {"validator": VALIDATOR, "sklearn": SKLEARN, "xgboost": XGBOOST,
                                 "xgboost-scripts": XGBOOST}
    assert version["code_commit"] == COMMIT


def test_a_deploy_serves_the_prebuilt_image_the_version_recorded(abalone, monkeypatch):
    registry = Registry(abalone, monkeypatch, MODEL)
    registry.register("v1", {"rmse": 2.0})
    run = registry.deploy("v1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    model = abalone.session.client("sagemaker").describe_model(ModelName=run.output["deployment"]["model"])
    assert model["PrimaryContainer"]["Image"] == XGBOOST
