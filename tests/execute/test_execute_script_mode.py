"""Script mode, executed in moto (see sfn_harness.py): a HuggingFace fine-tune ported from the
SageMaker Python SDK (the HF training image and the repository's train.py, tuned), plus a training
stage of the model's own on the same code.

The requests the harness recorded are the ones SageMaker received: the training job, the tuning
job's training definition and the own stage's job carry the SDK's script-mode hyper-parameters
(SDK v2 estimator.py `Framework._script_mode_hyperparam_update`, JSON-encoded), the submit
directory being the `sourcedir.tar.gz` the build uploaded for the commit apply applied."""

from __future__ import annotations

import pytest

from compile_helpers import make_repo
from sfn_harness import applied, execute

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

MODEL = "hf-finetune"
COMMIT = "a" * 40  # the commit sfn_harness.applied applies
ARCHIVE = f'"s3://acme-ml-artifacts/{MODEL}/code/{COMMIT}/hf.sourcedir.tar.gz"'
TUNED = {"learning_rate": "0.0003"}

CONFIG = f"""\
version: 1
model:
  name: {MODEL}
runtimes:
  hf:
    image: {{framework: huggingface, version: "4.48.0", scope: training, processor: gpu}}
    code: src/finetune
  xgboost:
    image: {{framework: xgboost, version: "1.7-1"}}
stage_defaults:
  timeout: 1h
  compute: sagemaker
  instance_type: ml.g5.2xlarge
pipelines:
  retrain:
    data:
      source: "s3://acme-ml-data/reviews/"
    triggers:
      schedule: "rate(7 days)"
    stages:
      tune:
        objective: {{metric: eval_loss, goal: minimize}}
        parameters:
          learning_rate: {{min: 0.00001, max: 0.001, scaling: log}}
        max_jobs: 2
        max_parallel_jobs: 1
      train:
        runtime: hf
        entry_point: main.py
        hyperparameters: {{epochs: 3, model_name: distilbert-base-uncased}}
      distill:
        kind: training
        after: [train]
        runtime: hf
        entry_point: main.py
      evaluate:
        runtime: xgboost
        instance_type: ml.m5.large
        gate:
          - {{metric: eval_loss, below: 0.5}}
  deploy:
    target: sagemaker-endpoint
    runtime: xgboost
    endpoint:
      instance_type: ml.m5.large
      instance_count: 1
"""

SCRIPT_MODE = {"sagemaker_program": '"main.py"', "sagemaker_submit_directory": ARCHIVE,
               "sagemaker_container_log_level": "20", "sagemaker_region": '"eu-west-1"'}
OWN = {"epochs": "3", "model_name": "distilbert-base-uncased"}


@pytest.fixture
def finetune(monkeypatch, tmp_path):
    repo = make_repo(tmp_path / "repos", MODEL, CONFIG)  # src/finetune/main.py
    with applied(monkeypatch, tmp_path, [repo]) as account:
        account.harness.stages.tuned = dict(TUNED)
        yield account


def test_training_and_tuning_jobs_run_the_entry_point_of_the_applied_commits_archive(finetune):
    finetune.harness.stages.metrics = {"eval_loss": 0.3}
    run = execute(finetune.sfn, f"{MODEL}-default-retrain", "run-1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)

    runs = {r.stage: r.request for r in finetune.harness.stages.runs}
    assert sorted(runs) == ["distill", "evaluate", "train", "tune"]  # distill and evaluate run in parallel
    tuning, train, distill = runs["tune"], runs["train"], runs["distill"]
    # The tuning job's training jobs: train's own hyper-parameters and script mode's, static.
    assert tuning["TrainingJobDefinition"]["StaticHyperParameters"] == {**OWN, **SCRIPT_MODE}
    assert "ContainerEntrypoint" not in tuning["TrainingJobDefinition"]["AlgorithmSpecification"]
    # train: the same, with the tuned values merged over them.
    assert train["HyperParameters"] == {**OWN, **SCRIPT_MODE, **TUNED}
    assert "ContainerEntrypoint" not in train["AlgorithmSpecification"]
    # A training stage of the model's own: script mode's only (train's hyper-parameters are train's).
    assert distill["HyperParameters"] == SCRIPT_MODE
    assert distill["AlgorithmSpecification"]["TrainingImage"] == train["AlgorithmSpecification"]["TrainingImage"]
