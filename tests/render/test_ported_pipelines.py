"""Issue 17's trial: well-known pipelines written in mlops.yaml without loss (tests/render/ported/,
plus samples/abalone), each compiled (and so proven by `mlopsc verify`) with the samples' platform
file; each test holds what the port needs to the compiled output."""

from __future__ import annotations

import json

import pytest
import yaml

from compile_helpers import SAMPLES_PLATFORM
from compiler import api
from paths import REPO_ROOT

PORTED = REPO_ROOT / "tests" / "render" / "ported"


@pytest.fixture(scope="module")
def compiled() -> dict:
    """model/env -> file name -> text, for every ported pipeline."""
    result = api.compile_outputs([str(path) for path in sorted(PORTED.iterdir())], str(SAMPLES_PLATFORM))
    assert result.validation.ok, [problem.message for problem in result.validation.problems]
    return result.outputs


def states(compiled, where: str, pipeline: str) -> dict:
    return json.loads(compiled[where][f"{pipeline}.asl.json"])["States"]


def test_churn_on_fargate_and_lambda(compiled):
    """Two feature stages in parallel, train reading both by name; prod deploys only (no retrain);
    new data under a key prefix; a canary without interval waits the rollback window."""
    staging = states(compiled, "churn-lambda/staging", "retrain")
    (level,) = [state for state in staging.values() if state["Type"] == "Parallel"]
    assert sorted(branch["StartAt"] for branch in level["Branches"]) == ["Billing-features", "Usage-features"]
    environment = {pair["Name"]: pair.get("Value", pair.get("Value.$")) for pair in
                   staging["Train"]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Environment"]}
    assert "usage-features/usage/" in environment["MLOPS_INPUT_USAGE_URI"]
    assert "billing-features/billing/" in environment["MLOPS_INPUT_BILLING_URI"]
    assert "retrain.asl.json" not in compiled["churn-lambda/prod"]
    assert json.loads(compiled["churn-lambda/prod"]["manifest.json"])["disabled"] == ["retrain"]
    triggers = compiled["churn-lambda/staging"]["triggers.json"]
    assert '{\\"wildcard\\": \\"churn/landing/_SUCCESS\\"}' in triggers
    waits = [state["Seconds"] for state in states(compiled, "churn-lambda/prod", "deploy").values()
             if state["Type"] == "Wait" and "Seconds" in state]
    assert 15 * 60 in waits  # monitor.health's 3 periods of 5 minutes (docs/config.md)


def test_a_two_million_object_batch_scorer_on_a_platform_image(compiled):
    """Nothing to build (an image pinned by digest), a Distributed Map of 500-object batches."""
    config = yaml.safe_load((PORTED / "bulk-scorer" / "mlops.yaml").read_text())
    out = compiled["bulk-scorer/default"]
    assert "docker build" not in out["buildspec.yml"]
    pointers = json.loads(out["pointers.json"])
    assert pointers["settings"]["prebuilt_images"]["scorer"] == {"uri": config["runtimes"]["scorer"]["image"],
                                                                 "pinned": "digest"}
    (scoring,) = [state for state in states(compiled, "bulk-scorer/default", "batch").values() if state["Type"] == "Map"]
    assert scoring["ItemBatcher"]["MaxItemsPerBatch"] == 500 and scoring["MaxConcurrency"] == 100
    assert scoring["ToleratedFailurePercentage"] == 0.5


def test_a_hugging_face_fine_tune_with_tuning(compiled):
    """Script mode on AWS's HuggingFace image, tuned with early stopping and a warm start, trained
    with torchrun on two instances, served by the HuggingFace inference image with cooldowns."""
    retrain = states(compiled, "review-sentiment/default", "retrain")
    static = retrain["Static hyper-parameters"]
    hyperparameters = static.get("Parameters") or static["Result"]
    assert hyperparameters["sagemaker_program"] == '"train.py"'
    assert hyperparameters["sagemaker_torch_distributed_enabled"] == "true"
    tune = retrain["Tune (warm start)"]["Parameters"]
    assert tune["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"
    assert tune["WarmStartConfig"]["WarmStartType"] == "TransferLearning"
    assert "huggingface-pytorch-training" in tune["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"]
    channels = retrain["Train"]["Parameters"]["InputDataConfig"]
    assert [(c["ChannelName"], c["ContentType"]) for c in channels] == [("test", "application/x-parquet"),
                                                                          ("train", "application/x-parquet")]
    # The version records the serving image, which deploy serves (a prebuilt image is literal).
    images = retrain["Register model version"]["Parameters"]["Item"]["images"]["M"]
    assert "/huggingface-pytorch-inference:" in images["hf-serve"]["S"]
    deploy = compiled["review-sentiment/default"]["deploy.asl.json"]
    assert '"ScaleInCooldown": 600' in deploy and '"ScaleOutCooldown": 120' in deploy
