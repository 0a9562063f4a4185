"""The retrain stage graph, executed: configs built here (no sample has a graph) are compiled,
applied and run in moto's Step Functions (sfn_harness.py). Stages of one level run as the
branches of a Parallel state; their results are merged back into `$.stages`; a branch's failure
is notified once and ends the run with its own error; named inputs become the SageMaker
channels and processing inputs the harness records."""

from __future__ import annotations

import json

import pytest
import yaml

from compile_helpers import make_repo
from paths import REPO_ROOT
from sfn_harness import applied, execute, item, published, split_s3

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

PLATFORM = REPO_ROOT / "samples" / "mlops-platform.yaml"
ARTIFACTS = "s3://acme-ml-artifacts"

#: Two feature stages after validate, in parallel (one a Fargate task, one a SageMaker processing
#: job, so one branch keeps a result in `$.stages` and one does not); train reads both by name.
FEATURES = """\
version: 1
model:
  name: feat
runtimes:
  app:
    dockerfile: Dockerfile
stage_defaults:
  runtime: app
  cpu: 1024
  memory: 2048
  timeout: 30m
pipelines:
  retrain:
    data:
      source: "s3://acme-ml-data/feat/raw/"
    stages:
      validate:
        command: [python, validate.py]
      features-a:
        kind: processing
        after: [validate]
        command: [python, a.py]
      features-b:
        kind: processing
        after: [validate]
        compute: sagemaker
        command: [python, b.py]
        outputs:
          table: {}
      train:
        after: [features-a, features-b]
        command: [python, train.py]
        hyperparameters: {C: 0.5}
        inputs:
          a: features-a
          b: features-b.table
      evaluate:
        command: [python, evaluate.py]
        gate:
          - {metric: auc, at_least: 0.8}
    register:
      approval: auto
"""

#: SageMaker's "abalone" MLOps template: processing writes train/validation/test splits, built-in
#: style training reads train and validation channels, evaluation reads the model and the test
#: split and writes evaluation.json under its `evaluation` output, which the MSE gate reads.
ABALONE = """\
version: 1
model:
  name: abalone
runtimes:
  app:
    dockerfile: Dockerfile
stage_defaults:
  runtime: app
  compute: sagemaker
  timeout: 1h
pipelines:
  retrain:
    data:
      source: "s3://acme-ml-data/abalone/raw/"
    stages:
      preprocess:
        kind: processing
        after: []
        command: [python, preprocess.py]
        inputs:
          raw: "s3://acme-ml-data/abalone/raw/"
        outputs:
          train: {}
          validation: {}
          test: {}
      train:
        after: [preprocess]
        inputs:
          train: {from: preprocess.train, content_type: text/csv}
          validation: {from: preprocess.validation, content_type: text/csv, mode: Pipe, distribution: ShardedByS3Key}
        hyperparameters: {objective: "reg:linear", num_round: 50}
      evaluate:
        after: [train]
        command: [python, evaluate.py]
        inputs:
          model: train.model
          test: {from: preprocess.test, path: /opt/ml/processing/test}
        outputs:
          evaluation: {}
        metrics: {from: evaluate.evaluation, file: evaluation.json}
        gate:
          - {metric: regression_metrics.mse.value, below: 6.0}
    register:
      approval: manual
"""


def _account(monkeypatch, tmp_path, name: str, config: str):
    repository = make_repo(tmp_path / "repositories", name, yaml.safe_load(config), PLATFORM)
    return applied(monkeypatch, tmp_path, [repository])


@pytest.fixture
def features(monkeypatch, tmp_path):
    with _account(monkeypatch, tmp_path, "feat", FEATURES) as account:
        yield account


@pytest.fixture
def abalone(monkeypatch, tmp_path):
    with _account(monkeypatch, tmp_path, "abalone", ABALONE) as account:
        account.harness.stages.metrics_key = "evaluation/evaluation.json"
        yield account


def test_two_branches_both_run_and_their_results_join_the_run(features):
    features.harness.stages.metrics = {"auc": 0.9}
    run = execute(features.sfn, "feat-default-retrain", "run-graph")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    order = [r.stage for r in features.harness.stages.runs]
    assert order[0] == "validate" and sorted(order[1:3]) == ["features-a", "features-b"]
    assert order[3:] == ["train", "evaluate"]
    entered = run.entered()
    assert "Run features-a and features-b" in entered and "Join features-a and features-b" in entered
    # The SageMaker branch's result is the run's after the join (the Fargate branch keeps none).
    assert set(run.output["stages"]) == {"features-b"}
    assert run.output["stages"]["features-b"]["job_name"].startswith("feat-features-b-")
    assert "pointers" in run.output  # the state the later states read is kept through the Parallel

    by_stage = {r.stage: r for r in features.harness.stages.runs}
    out = f"{ARTIFACTS}/feat/default/retrain/run-graph"
    train = by_stage["train"].environment
    assert train["MLOPS_INPUT_A_URI"] == f"{out}/features-a/"
    assert train["MLOPS_INPUT_B_URI"] == f"{out}/features-b/table/"
    assert train["MLOPS_INPUT_URI"] == "s3://acme-ml-data/feat/raw/"  # two `after` stages: data.source
    assert by_stage["features-a"].environment["MLOPS_INPUT_URI"] == f"{out}/validate/"  # its one `after`
    processing = by_stage["features-b"].request
    assert processing["ProcessingOutputConfig"]["Outputs"] == [{
        "OutputName": "table", "AppManaged": False,
        "S3Output": {"S3Uri": f"{out}/features-b/table/", "LocalPath": "/opt/ml/processing/output/table",
                     "S3UploadMode": "EndOfJob"}}]
    assert by_stage["features-b"].environment["MLOPS_OUTPUT_TABLE_URI"] == f"{out}/features-b/table/"

    version = item(features.session, ("MODEL#feat", "VERSION#default#run-graph"))
    assert version["approval"] == "approved" and json.loads(version["metrics"]) == {"auc": 0.9}
    assert published(features.topic) == []


def test_a_failed_branch_is_notified_once_and_ends_the_run_with_its_error(features):
    features.harness.stages.fail["features-a"] = float("inf")
    run = execute(features.sfn, "feat-default-retrain", "run-branch-fails")

    assert (run.status, run.error) == ("FAILED", "Features-aFailed"), run.cause
    assert run.cause == "The features-a stage failed after its retries."
    assert "Parallel features-a and features-b failed" in run.entered()
    assert [n["subject"] for n in published(features.topic)] == ["[mlops] feat default retrain: features-a failed"]
    assert "train" not in [r.stage for r in features.harness.stages.runs]
    assert item(features.session, ("MODEL#feat", "VERSION#default#run-branch-fails")) == {}


def test_abalone_channels_model_input_and_gate_on_evaluation_json(abalone):
    abalone.harness.stages.metrics = {"regression_metrics": {"mse": {"value": 4.2, "standard_deviation": 1.1}}}
    run = execute(abalone.sfn, "abalone-default-retrain", "run-abalone")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    runs = abalone.harness.stages.runs
    assert [(r.kind, r.stage) for r in runs] == [("processing", "preprocess"), ("training", "train"),
                                                 ("processing", "evaluate")]
    preprocess, train, evaluate = (r.request for r in runs)
    out = f"{ARTIFACTS}/abalone/default/retrain/run-abalone"
    assert [o["OutputName"] for o in preprocess["ProcessingOutputConfig"]["Outputs"]] == ["test", "train", "validation"]
    assert preprocess["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://acme-ml-data/abalone/raw/"
    # CreateTrainingJob's InputDataConfig: one channel per named input, as SageMaker's API names them.
    assert train["InputDataConfig"] == [
        {"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated", "S3Uri": f"{out}/preprocess/train/"}}},
        {"ChannelName": "validation", "ContentType": "text/csv", "InputMode": "Pipe", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": "ShardedByS3Key",
            "S3Uri": f"{out}/preprocess/validation/"}}}]
    # The evaluation reads the model artifact the training job reported, and the test split.
    model_data = f"{out}/train/{train['TrainingJobName']}/output/model.tar.gz"
    inputs = {i["InputName"]: i["S3Input"] for i in evaluate["ProcessingInputs"]}
    assert inputs["model"]["S3Uri"] == model_data and inputs["model"]["LocalPath"] == "/opt/ml/processing/input/model"
    assert inputs["test"]["S3Uri"] == f"{out}/preprocess/test/" and inputs["test"]["LocalPath"] == "/opt/ml/processing/test"
    assert evaluate["Environment"]["MLOPS_INPUT_MODEL_URI"] == model_data
    assert evaluate["Environment"]["MLOPS_OUTPUT_EVALUATION_URI"] == f"{out}/evaluate/evaluation/"

    bucket, key = split_s3(f"{out}/evaluate/evaluation/evaluation.json")
    assert abalone.session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    version = item(abalone.session, ("MODEL#abalone", "VERSION#default#run-abalone"))
    assert version["approval"] == "pending" and version["model_data"] == model_data
    assert json.loads(version["metrics"])["regression_metrics"]["mse"]["value"] == 4.2


def test_abalone_gate_fails_on_the_mse_it_read_from_the_evaluation_output(abalone):
    abalone.harness.stages.metrics = {"regression_metrics": {"mse": {"value": 7.5}}}
    run = execute(abalone.sfn, "abalone-default-retrain", "run-abalone-gate")
    assert (run.status, run.error) == ("FAILED", "GateFailed")
    assert item(abalone.session, ("MODEL#abalone", "VERSION#default#run-abalone-gate")) == {}


def test_a_tuning_stage_of_its_own_tunes_train_with_its_best_hyperparameters(monkeypatch, tmp_path):
    config = yaml.safe_load((REPO_ROOT / "samples" / "demand-forecast" / "mlops.yaml").read_text())
    stages = config["pipelines"]["retrain"]["stages"]
    stages["search"] = {"kind": "tuning", "after": ["transform"], **stages.pop("tune")}
    stages["train"]["after"] = ["search"]
    with _account(monkeypatch, tmp_path, "demand-forecast", yaml.safe_dump(config)) as account:
        account.harness.stages.metrics = {"rmse": 11.0, "mape": 0.1}
        account.harness.stages.tuned = {"eta": "0.2", "max_depth": "4", "booster": "gbtree"}
        run = execute(account.sfn, "demand-forecast-default-retrain", "run-search")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        runs = account.harness.stages.runs
        assert [(r.kind, r.stage) for r in runs][:3] == [("processing", "transform"), ("tuning", "search"),
                                                         ("training", "train")]
        assert runs[2].request["HyperParameters"] == {"num_round": "200", "objective": "reg:squarederror",
                                                      "eta": "0.2", "max_depth": "4", "booster": "gbtree"}


def _tune_beside_features() -> str:
    """demand-forecast with tune and a feature stage of its own both after transform: a Parallel level."""
    config = yaml.safe_load((REPO_ROOT / "samples" / "demand-forecast" / "mlops.yaml").read_text())
    stages = config["pipelines"]["retrain"]["stages"]
    stages["features"] = {"kind": "processing", "after": ["transform"], "command": ["python", "f.py"]}
    stages["tune"]["after"] = ["transform"]
    stages["train"]["after"] = ["tune", "features"]
    return yaml.safe_dump(config)


def test_tune_in_a_parallel_branch_hands_its_best_hyperparameters_to_train(monkeypatch, tmp_path):
    """tune beside a feature stage: its result (the tuned hyper-parameters) crosses the join."""
    with _account(monkeypatch, tmp_path, "demand-forecast", _tune_beside_features()) as account:
        account.harness.stages.metrics = {"rmse": 11.0, "mape": 0.1}
        account.harness.stages.tuned = {"eta": "0.3", "max_depth": "5", "booster": "dart"}
        run = execute(account.sfn, "demand-forecast-default-retrain", "run-tune-branch")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        assert "Run tune and features" in run.entered()
        (train,) = account.harness.stages.of("train")
        assert train.request["HyperParameters"] == {"num_round": "200", "objective": "reg:squarederror",
                                                    "eta": "0.3", "max_depth": "5", "booster": "dart"}
        assert train.environment["MLOPS_INPUT_URI"] == "s3://acme-ml-data/demand-forecast/sales/"  # two `after`


def test_a_tuning_job_without_a_best_job_in_a_branch_is_its_named_failure(monkeypatch, tmp_path):
    with _account(monkeypatch, tmp_path, "demand-forecast", _tune_beside_features()) as account:
        account.harness.stages.tuned = None
        run = execute(account.sfn, "demand-forecast-default-retrain", "run-tune-nobest")
        assert (run.status, run.error) == ("FAILED", "NoBestTrainingJob"), run.cause
        assert [n["subject"] for n in published(account.topic)] == [
            "[mlops] demand-forecast default retrain: tune found no best training job"]


def _wide(width: int) -> str:
    """FEATURES with `width` SageMaker feature stages after validate, each keeping a result, all read by train."""
    config = yaml.safe_load(FEATURES)
    stages = config["pipelines"]["retrain"]["stages"]
    del stages["features-a"], stages["features-b"]
    names = [f"f{index:02d}" for index in range(width)]
    for name in names:
        stages[name] = {"kind": "processing", "after": ["validate"], "compute": "sagemaker", "command": ["python", "f.py"]}
    stages["train"].update(after=names, inputs={name: name for name in names})
    return yaml.safe_dump(config)


def test_a_level_of_twelve_branches_merges_every_result_with_intrinsics_nested_at_most_ten_deep(monkeypatch, tmp_path):
    """A chain of States.JsonMerge would nest 11 intrinsics for 12 branches; Step Functions allows 10
    in a field (Developer Guide, "Intrinsic functions"): the branches merge as a balanced tree, and
    every branch's result reaches train."""
    with _account(monkeypatch, tmp_path, "feat", _wide(12)) as account:
        account.harness.stages.metrics = {"auc": 0.9}
        (arn,) = [m["stateMachineArn"] for m in account.sfn.list_state_machines()["stateMachines"]
                  if m["name"] == "feat-default-retrain"]
        definition = json.loads(account.sfn.describe_state_machine(stateMachineArn=arn)["definition"])
        (level,) = [state for state in definition["States"].values() if state["Type"] == "Parallel"]
        merge = level["ResultSelector"]["stages.$"]
        depth = deepest = 0
        for char in merge:
            depth += char == "("
            depth -= char == ")"
            deepest = max(deepest, depth)
        assert len(level["Branches"]) == 12 and 1 < deepest <= 10, merge

        run = execute(account.sfn, "feat-default-retrain", "run-wide")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        assert set(run.output["stages"]) == {f"f{index:02d}" for index in range(12)}  # the Fargate stages keep none
