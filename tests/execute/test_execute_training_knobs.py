"""The training and scaling knobs of config language 1.1, executed in moto (see sfn_harness.py):
`tune.early_stopping`, `tune.warm_start`, `train.distribution` and the endpoint's autoscaling
cooldowns. Each config is samples/demand-forecast (SageMaker transform, tune, train, endpoint)
with the knob set in the test, compiled and applied as `mlopsc apply` does.

Registry items come from the production path only (sfn_harness.Registry): versions from whole
retrain runs, approvals through the registry library, every event fed to the registry's handler."""

from __future__ import annotations

import contextlib

import pytest
import yaml

from compile_helpers import make_repo
from paths import REPO_ROOT
from sfn_harness import Registry, applied, apply_again, execute, item

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
FORECAST_METRICS = {"rmse": 11.0, "mape": 0.1}  # within demand-forecast's gate
TUNED = {"eta": "0.05", "max_depth": "7", "booster": "dart"}


def forecast_config() -> dict:
    return yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())


@contextlib.contextmanager
def forecast_with(monkeypatch, tmp_path, change):
    """An account where demand-forecast, changed by `change(config)`, is applied; yields
    (account, registry)."""
    config = forecast_config()
    change(config)
    repository = make_repo(tmp_path / "repositories", "demand-forecast", config, SAMPLES / "mlops-platform.yaml")
    with applied(monkeypatch, tmp_path, [repository]) as account:
        account.harness.stages.tuned = dict(TUNED)
        yield account, Registry(account, monkeypatch, "demand-forecast")


# ----------------------------------------------------------------------------- autoscaling cooldowns

def test_the_scaling_policy_a_deployment_puts_has_the_configured_cooldowns(monkeypatch, tmp_path):
    """pipelines.deploy.endpoint.autoscaling.scale_in_cooldown/scale_out_cooldown become the target
    tracking policy's ScaleInCooldown/ScaleOutCooldown, in seconds (Application Auto Scaling API
    reference, TargetTrackingScalingPolicyConfiguration)."""
    def cooldowns(config):
        config["pipelines"]["deploy"]["endpoint"]["autoscaling"].update(scale_in_cooldown="10m",
                                                                         scale_out_cooldown="30s")

    with forecast_with(monkeypatch, tmp_path, cooldowns) as (account, registry):
        registry.register("v1", FORECAST_METRICS)
        run = registry.deploy("v1")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        policies = account.session.client("application-autoscaling").describe_scaling_policies(
            ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [(p["PolicyName"], p["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"],
             p["TargetTrackingScalingPolicyConfiguration"]["ScaleOutCooldown"]) for p in policies] == [
        ("demand-forecast-default-invocations", 600, 30)]


# ----------------------------------------------------------------------------- tune.early_stopping

def tuning_requests(account) -> list[dict]:
    return [run.request for run in account.harness.stages.runs if run.kind == "tuning"]


def test_early_stopping_asks_sagemaker_to_stop_hopeless_training_jobs(monkeypatch, tmp_path):
    """tune.early_stopping: true -> HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType Auto
    (SageMaker API reference; developer guide, "Stop Training Jobs Early")."""
    def early_stopping(config):
        config["pipelines"]["retrain"]["stages"]["tune"]["early_stopping"] = True

    with forecast_with(monkeypatch, tmp_path, early_stopping) as (account, _registry):
        account.harness.stages.metrics = FORECAST_METRICS
        run = execute(account.sfn, "demand-forecast-default-retrain", "run-early", {"trigger": "schedule"})
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        [request] = tuning_requests(account)
    assert request["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"


# ----------------------------------------------------------------------------- train.distribution

@pytest.mark.parametrize("distribution, reserved", [
    ({"type": "torch_distributed"}, {"sagemaker_torch_distributed_enabled": "true"}),
    ({"type": "mpi", "processes_per_host": 8},
     {"sagemaker_mpi_enabled": "true", "sagemaker_mpi_num_of_processes_per_host": "8"}),
], ids=["torch_distributed", "mpi"])
def test_distribution_reaches_the_training_job_and_the_tuning_jobs_training_jobs(monkeypatch, tmp_path, distribution,
                                                                                  reserved):
    """train.distribution becomes the reserved hyper-parameters the SageMaker Python SDK v2 sends
    for `distribution=` (JSON-encoded values, as its `_json_encode_hyperparameters`): in the
    training job, merged with the tuned ones, and in the tuning job's StaticHyperParameters, each
    with the instance type its own jobs run on (torch_distributed's launcher counts its GPUs)."""
    def distributed(config):
        stages = config["pipelines"]["retrain"]["stages"]
        stages["train"].update(instance_type="ml.p4d.24xlarge", instance_count=2, distribution=distribution)
        stages["tune"]["instance_type"] = "ml.g5.12xlarge"
        for name in ("train", "tune"):  # the image's training toolkit runs (rule train-distribution)
            del stages[name]["command"]

    with forecast_with(monkeypatch, tmp_path, distributed) as (account, _registry):
        account.harness.stages.metrics = FORECAST_METRICS
        run = execute(account.sfn, "demand-forecast-default-retrain", "run-distributed", {"trigger": "schedule"})
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        [tuning] = tuning_requests(account)
        [training] = [r.request for r in account.harness.stages.runs if r.kind == "training"]
    own = {"num_round": "200", "objective": "reg:squarederror"}
    per_instance = distribution["type"] == "torch_distributed"
    assert training["HyperParameters"] == {
        **own, **TUNED, **reserved, **({"sagemaker_instance_type": '"ml.p4d.24xlarge"'} if per_instance else {})}
    assert training["ResourceConfig"]["InstanceCount"] == 2
    definition = tuning["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == {
        **own, **reserved, **({"sagemaker_instance_type": '"ml.g5.12xlarge"'} if per_instance else {})}
    assert (definition["ResourceConfig"]["InstanceType"], definition["ResourceConfig"]["InstanceCount"]) == (
        "ml.g5.12xlarge", 2)


# ----------------------------------------------------------------------------- tune.warm_start

def warm_start_of(request: dict):
    return request.get("WarmStartConfig")


def test_a_retrain_warm_starts_from_the_tuning_job_of_the_approved_version(monkeypatch, tmp_path):
    """tune.warm_start: a version registered by a run with warm_start names its tuning job; once it
    is approved (deployed: the registry's approved pointer), the next run's tuning job starts from
    it (CreateHyperParameterTuningJob's WarmStartConfig, SageMaker API reference). Before any
    version is approved, a run tunes from scratch. Every registry item here is the pipeline's or
    the registry handler's."""
    def warm_start(config):
        config["pipelines"]["retrain"]["stages"]["tune"]["warm_start"] = {"type": "transfer_learning"}

    with forecast_with(monkeypatch, tmp_path, warm_start) as (account, registry):
        account.harness.stages.metrics = FORECAST_METRICS
        first = execute(account.sfn, "demand-forecast-default-retrain", "v1", {"trigger": "schedule"})
        assert first.status == "SUCCEEDED", (first.error, first.cause)
        [cold] = tuning_requests(account)
        registry.life.deliver()
        version = item(account.session, ("MODEL#demand-forecast", "VERSION#default#v1"))
        assert version["tuning_job"] == cold["HyperParameterTuningJobName"]
        assert "Tune" in first.entered() and "Tune (warm start)" not in first.entered()

        deployed = registry.deploy("v1")  # approved and deployed: the approved pointer names v1
        assert deployed.status == "SUCCEEDED", (deployed.error, deployed.cause)
        account.harness.stages.runs.clear()
        second = execute(account.sfn, "demand-forecast-default-retrain", "v2", {"trigger": "schedule"})
        assert second.status == "SUCCEEDED", (second.error, second.cause)
        [warm] = tuning_requests(account)
        lineage = {v: item(account.session, ("MODEL#demand-forecast", f"VERSION#default#{v}"))["lineage"]
                   for v in ("v1", "v2")}
    # Its lineage names the parent version whose tuning job it started from; the cold run has none.
    assert lineage == {"v1": {"trigger": "schedule"},
                       "v2": {"trigger": "schedule", "parent_version": "v1", "parent_relation": "warm_start",
                              "parent_tuning_job": cold["HyperParameterTuningJobName"]}}
    assert warm_start_of(cold) is None
    assert warm_start_of(warm) == {"ParentHyperParameterTuningJobs": [
        {"HyperParameterTuningJobName": cold["HyperParameterTuningJobName"]}], "WarmStartType": "TransferLearning"}
    assert warm["HyperParameterTuningJobName"] != cold["HyperParameterTuningJobName"]
    assert "Tune (warm start)" in second.entered() and "Tune" not in second.entered()
    assert warm["HyperParameterTuningJobConfig"] == cold["HyperParameterTuningJobConfig"]  # one search, continued


def test_an_approved_version_tuned_without_warm_start_names_no_parent(monkeypatch, tmp_path):
    """The approved version was registered before tune.warm_start was set (no `tuning_job` in its
    item): the run after the change tunes from scratch instead of failing on a missing parent."""
    with forecast_with(monkeypatch, tmp_path, lambda config: None) as (account, registry):
        registry.release("v0", FORECAST_METRICS)
        assert "tuning_job" not in item(account.session, ("MODEL#demand-forecast", "VERSION#default#v0"))
        config = forecast_config()
        config["pipelines"]["retrain"]["stages"]["tune"]["warm_start"] = {"type": "identical_data_and_algorithm"}
        apply_again(account, [make_repo(tmp_path / "later", "demand-forecast", config, SAMPLES / "mlops-platform.yaml")])
        account.harness.stages.runs.clear()  # the run the commit started (on_commit)
        account.harness.stages.metrics = FORECAST_METRICS
        run = execute(account.sfn, "demand-forecast-default-retrain", "v1", {"trigger": "schedule"})
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        [request] = tuning_requests(account)
    assert warm_start_of(request) is None
    assert ["Warm start: approved version?", "Warm start: read approved version", "Warm start: parent tuning job?",
            "Tune"] == [
        state for state in run.entered() if state.startswith(("Warm start", "Tune"))]


def test_a_failed_read_of_the_approved_version_is_the_named_registry_read_failure(monkeypatch, tmp_path):
    """The approved version's item cannot be read (after the retries): the run stops, notified as
    any registry read failure, rather than tuning without the parent it should have."""
    def warm_start(config):
        config["pipelines"]["retrain"]["stages"]["tune"]["warm_start"] = {"type": "transfer_learning"}

    with forecast_with(monkeypatch, tmp_path, warm_start) as (account, registry):
        registry.release("v1", FORECAST_METRICS)
        account.harness.fail_state("Warm start: read approved version", "DynamoDB.InternalServerErrorException")
        run = execute(account.sfn, "demand-forecast-default-retrain", "v2", {"trigger": "schedule"})
        tuned = tuning_requests(account)
    assert (run.status, run.error) == ("FAILED", "RegistryReadFailed")
    assert tuned == [] and "Notify registry read failed" in run.entered()
