"""What the training knobs of config language 1.1 compile to (the fast tier; the executions are in
tests/execute/test_execute_training_knobs.py): demand-forecast with each knob set, compiled (and
so proven by `mlopsc verify`), against the sample itself, whose output the knobs' defaults keep."""

from __future__ import annotations

import json

import yaml

from compile_helpers import SAMPLES, make_repo
from compiler import api

TARGET = "demand-forecast/default"


def compiled(tmp_path, change=None) -> dict:
    """demand-forecast changed by `change(config)`: file name -> parsed state machine."""
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    if change:
        change(config)
    repository = make_repo(tmp_path, "demand-forecast", config, SAMPLES / "mlops-platform.yaml")
    result = api.compile_outputs([str(repository)])
    assert result.validation.ok, result.validation.problems
    return {name: json.loads(text) for name, text in result.outputs[TARGET].items() if name.endswith(".asl.json")}


def stages(config) -> dict:
    return config["pipelines"]["retrain"]["stages"]


def test_without_the_knobs_nothing_changes(tmp_path):
    states = compiled(tmp_path)["retrain.asl.json"]["States"]
    assert states["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Off"
    assert "WarmStartConfig" not in states["Tune"]["Parameters"]
    assert not [name for name in states if name.startswith("Warm start") or name.endswith("(warm start)")]
    assert "tuning_job" not in states["Register model version"]["Parameters"]["Item"]
    assert not [key for key in states["Static hyper-parameters"]["Result"] if key.startswith("sagemaker_")]


def test_early_stopping_is_auto(tmp_path):
    states = compiled(tmp_path, lambda c: stages(c)["tune"].update(early_stopping=True))["retrain.asl.json"]["States"]
    assert states["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"


def test_warm_start_chooses_between_two_forms_of_the_tuning_job(tmp_path):
    definition = compiled(tmp_path, lambda c: stages(c)["tune"].update(
        warm_start={"type": "identical_data_and_algorithm"}))["retrain.asl.json"]
    states = definition["States"]
    assert states["Publish transform succeeded"]["Next"] == "Warm start: approved version?"  # the step before tune
    assert states["Warm start: approved version?"]["Default"] == "Tune"
    assert states["Warm start: read approved version"]["Parameters"]["Key"]["sk"] == {
        "S.$": "States.Format('VERSION#default#{}', $.pointers.Item.approved_version.S)"}
    assert states["Warm start: parent tuning job?"]["Default"] == "Tune"
    cold, warm = states["Tune"], states["Tune (warm start)"]
    assert warm["Parameters"].pop("WarmStartConfig") == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName.$": "$.warm_start.Item.tuning_job.S"}],
        "WarmStartType": "IdenticalDataAndAlgorithm"}
    assert warm == cold  # the same task, retries, catchers and next state
    assert states["Register model version"]["Parameters"]["Item"]["tuning_job"] == {"S.$": "$.stages.tune.job_name"}


def test_distribution_goes_to_train_and_to_the_tuning_jobs_with_each_ones_instance_type(tmp_path):
    def distributed(config):
        stages(config)["train"].update(instance_type="ml.p4d.24xlarge", instance_count=2,
                                       distribution={"type": "data_parallel"})
        stages(config)["tune"]["instance_type"] = "ml.p3.16xlarge"
        for name in ("train", "tune"):  # the image's training toolkit runs (rule train-distribution)
            del stages(config)[name]["command"]

    states = compiled(tmp_path, distributed)["retrain.asl.json"]["States"]
    static = states["Tune"]["Parameters"]["TrainingJobDefinition"]["StaticHyperParameters"]
    assert (static["sagemaker_distributed_dataparallel_enabled"], static["sagemaker_instance_type"]) == (
        "true", '"ml.p3.16xlarge"')
    train = states["Static hyper-parameters"]["Result"]  # train's own, the tuned ones merged over them
    assert (train["sagemaker_distributed_dataparallel_enabled"], train["sagemaker_instance_type"]) == (
        "true", '"ml.p4d.24xlarge"')


def test_cooldowns_are_seconds_and_default_to_the_former_values(tmp_path):
    def policy(change=None):
        deploy = compiled(tmp_path / str(bool(change)), change)["deploy.asl.json"]
        return deploy["States"]["Put scaling policy"]["Parameters"]["TargetTrackingScalingPolicyConfiguration"]

    def cooldowns(config):
        config["pipelines"]["deploy"]["endpoint"]["autoscaling"].update(scale_in_cooldown="1h", scale_out_cooldown="45s")

    assert (policy()["ScaleInCooldown"], policy()["ScaleOutCooldown"]) == (300, 60)
    configured = policy(cooldowns)
    assert (configured["ScaleInCooldown"], configured["ScaleOutCooldown"]) == (3600, 45)


def test_a_warm_started_tune_that_runs_first_is_entered_at_its_choice(tmp_path):
    def tune_first(config):
        del stages(config)["transform"]
        stages(config)["tune"]["warm_start"] = {"type": "transfer_learning"}

    states = compiled(tmp_path, tune_first)["retrain.asl.json"]["States"]
    assert states["Static hyper-parameters"]["Next"] == "Warm start: approved version?"


def _tuning_stage_of_its_own_in_a_branch(config):
    """demand-forecast whose tune stage is a stage of its own (`hpo`), beside a second processing
    stage: the tuning job runs in a Parallel branch, with both knobs of a tuning stage."""
    tune = stages(config).pop("tune")
    stages(config).update(
        hpo={**tune, "kind": "tuning", "after": ["transform"], "early_stopping": True,
             "warm_start": {"type": "transfer_learning"}},
        profile={"kind": "processing", "after": ["transform"], "command": ["python", "-m", "forecast.features"]})
    stages(config)["train"]["after"] = ["hpo", "profile"]


def test_a_tuning_stage_of_its_own_takes_the_tuning_knobs_in_a_parallel_branch(tmp_path):
    """The knobs are keys of every tuning stage (shared schema definitions), and the warm start's
    states live in the branch beside its tuning job; a failed read there is the stage's failure
    (the run's registry read failure is out of the branch's scope)."""
    states = compiled(tmp_path, _tuning_stage_of_its_own_in_a_branch)["retrain.asl.json"]["States"]
    level = next(state for state in states.values() if state["Type"] == "Parallel")
    branch = next(b for b in level["Branches"] if b["StartAt"] == "Warm start: approved version?")["States"]
    warm = branch["Hpo (warm start)"]["Parameters"]
    assert warm["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"
    assert warm["WarmStartConfig"]["WarmStartType"] == "TransferLearning"
    read_failed = branch["Warm start: read approved version"]["Catch"][0]["Next"]
    assert read_failed in branch and read_failed == branch["Hpo"]["Catch"][0]["Next"]
