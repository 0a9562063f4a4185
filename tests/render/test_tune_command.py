"""The tune stage's command reaches the tuning job's training containers (issue 13, item 5).

CreateHyperParameterTuningJob's HyperParameterAlgorithmSpecification has no ContainerEntrypoint
(botocore's SageMaker model; CreateTrainingJob's AlgorithmSpecification has one), so SageMaker runs
the image as `docker run IMAGE train` ("How Amazon SageMaker AI Runs Your Training Image"). The
command goes in the training definition's Environment as MLOPS_COMMAND (a JSON array), which the
image's `train` program runs: the samples' does.
"""

from __future__ import annotations

import json
import os
import subprocess

import botocore.session
import pytest
import yaml

from compile_helpers import SAMPLES, make_repo
from compiler import api


def tune_parameters(result, target="demand-forecast/default") -> dict:
    retrain = json.loads(result.outputs[target]["retrain.asl.json"])
    return retrain["States"]["Tune"]["Parameters"]


def test_a_tuning_job_cannot_take_an_entrypoint_so_the_command_is_in_its_environment():
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert "ContainerEntrypoint" not in model.shape_for("HyperParameterAlgorithmSpecification").members
    assert "Environment" in model.shape_for("HyperParameterTrainingJobDefinition").members

    result = api.compile_outputs([str(SAMPLES / "demand-forecast")])
    definition = tune_parameters(result)["TrainingJobDefinition"]
    assert json.loads(definition["Environment"]["MLOPS_COMMAND"]) == ["python", "-m", "forecast.train"]
    assert "ContainerEntrypoint" not in definition["AlgorithmSpecification"]


def test_a_command_inherited_from_train_reaches_the_tuning_job_too(tmp_path):
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    del config["pipelines"]["retrain"]["stages"]["tune"]["command"]
    config["pipelines"]["retrain"]["stages"]["train"]["command"] = ["python", "-m", "forecast.other"]
    result = api.compile_outputs([str(make_repo(tmp_path, "demand-forecast", config))])
    environment = tune_parameters(result)["TrainingJobDefinition"]["Environment"]
    assert json.loads(environment["MLOPS_COMMAND"]) == ["python", "-m", "forecast.other"]


def test_without_a_command_the_image_runs_its_own_train(tmp_path):
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    for stage in ("tune", "train"):
        del config["pipelines"]["retrain"]["stages"][stage]["command"]
    result = api.compile_outputs([str(make_repo(tmp_path, "demand-forecast", config))])
    assert "MLOPS_COMMAND" not in tune_parameters(result)["TrainingJobDefinition"]["Environment"]


def test_a_command_too_long_for_the_environment_is_refused_where_it_is_written(tmp_path):
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    config["pipelines"]["retrain"]["stages"]["tune"]["command"] = ["python", "-c", "x" * 520]
    repo = make_repo(tmp_path, "demand-forecast", config)
    result = api.validate([str(repo)])
    (problem,) = [p for p in result.problems if p.rule == "tune-command-length"]
    assert problem.path == "pipelines.retrain.stages.tune.command" and "MLOPS_COMMAND" in problem.message
    lines = (repo / "mlops.yaml").read_text().splitlines()
    assert "command:" in lines[problem.line - 2] and lines[problem.line - 1].strip() == "- python"  # the list's start


@pytest.mark.parametrize("command, expected", [
    (["sh", "-c", 'echo "ran: $0 $1"', "train-arg"], "ran: train-arg extra"),
])
def test_the_sample_train_program_runs_mlops_command(tmp_path, command, expected):
    """SageMaker's `train`, as the demand-forecast image installs it, with MLOPS_COMMAND set."""
    train = SAMPLES / "demand-forecast" / "docker" / "bin" / "train"
    done = subprocess.run(["sh", str(train), "extra"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "MLOPS_COMMAND": json.dumps(command)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_compute_on_the_tune_stage_is_refused_as_it_changes_nothing(tmp_path):
    """Tuning is always SageMaker's: `compute: sagemaker` there was accepted and changed nothing."""
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    config["pipelines"]["retrain"]["stages"]["tune"]["compute"] = "sagemaker"
    result = api.validate([str(make_repo(tmp_path, "demand-forecast", config))])
    (problem,) = result.problems
    assert (problem.rule, problem.path) == ("stage-compute", "pipelines.retrain.stages.tune.compute")
    assert "always runs as a SageMaker" in problem.message
