"""The deploy pipelines, executed in moto (see sfn_harness.py): samples/demand-forecast deploys to
a SageMaker endpoint (linear traffic, SageMaker's alarm auto-rollback), samples/fraud-lambda
(`fraud-scoring`, prod) to a Lambda alias in canary steps with the alarms checked between them.

Versions are registered by whole retrain runs and approved through the registry library; each
deployment here is the one its approval (or rollback) started through the deploy-approved rule
apply created, and the registry's handler is fed every event (sfn_harness.Registry). No test
writes a registry item, but for the one version without images (see that test)."""

from __future__ import annotations

import contextlib
import json

import pytest

from paths import REPO_ROOT
from sfn_harness import Registry, applied, apply_again, execute, item, published

pytestmark = [pytest.mark.e2e,  # moto-backed AWS (apply, state machine executions)
              pytest.mark.in_fork]  # each test in a fork of the module's account (tests/support/forks.py)

SAMPLES = REPO_ROOT / "samples"
FORECAST_METRICS = {"rmse": 11.0, "mape": 0.1}  # within demand-forecast's gate
FRAUD_METRICS = {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01}


def deployment(account, model: str, environment: str = "default") -> dict:
    return item(account.session, (f"MODEL#{model}", f"DEPLOYMENT#{environment}"))


def subjects(account) -> list[str]:
    return [n["subject"].rsplit(": ", 1)[-1] for n in published(account.topic)]


# ----------------------------------------------------------------------------- SageMaker endpoint

@contextlib.contextmanager
def forecast_built(monkeypatch, tmp_path):
    """Versions v1 and v2 registered by retrain runs, pending (`register.approval: manual`)."""
    with applied(monkeypatch, tmp_path, [SAMPLES / "demand-forecast"]) as account:
        account.registry = Registry(account, monkeypatch, "demand-forecast")
        for version in ("v1", "v2"):
            account.registry.register(version, FORECAST_METRICS)
        account.harness.clock.waits.clear()
        yield account


@pytest.fixture
def forecast(live_accounts):
    """forecast_built, built once for the module; each test runs in a fork of it."""
    with live_accounts.fresh("forecast", forecast_built) as account:
        yield account


def test_endpoint_deployment_succeeds_and_is_recorded_deployed(forecast):
    run = forecast.registry.deploy("v1")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    recorded = deployment(forecast, "demand-forecast")
    assert (recorded["status"], recorded["version"], recorded["execution"]) == ("deployed", "v1", run.arn)
    sagemaker = forecast.session.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName="demand-forecast-default")
    config = run.output["deployment"]["endpoint_config"]
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", config)
    model = sagemaker.describe_model(ModelName=run.output["deployment"]["model"])
    registered = item(forecast.session, ("MODEL#demand-forecast", "VERSION#default#v1"))["model_data"]
    assert model["PrimaryContainer"]["ModelDataUrl"] == registered
    assert registered.startswith("s3://acme-ml-artifacts/demand-forecast/default/retrain/v1/train/")  # <model>/<env>/
    assert "Create endpoint" in run.entered() and "Update endpoint" not in run.entered()  # first deployment
    targets = forecast.session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("endpoint/demand-forecast-default/variant/AllTraffic", 2, 6)]
    assert forecast.harness.clock.waits_in("Wait for endpoint") == [30]
    assert published(forecast.topic) == []

    # A second version updates the endpoint in place, with the blue/green linear policy and alarms.
    second = forecast.registry.deploy("v2")
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    update = second.parameters("Update endpoint")[0]
    policy = update["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert (policy["Type"], policy["LinearStepSize"]["Value"], policy["WaitIntervalInSeconds"]) == ("LINEAR", 25, 600)
    assert [a["AlarmName"] for a in update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]] == [
        "demand-forecast-default-rollback-error-rate", "demand-forecast-default-rollback-latency-p99"]  # monitor:<alarm>, new fleet
    assert sagemaker.describe_endpoint(EndpointName="demand-forecast-default")["EndpointConfigName"] == \
        second.output["deployment"]["endpoint_config"] != config
    assert deployment(forecast, "demand-forecast")["version"] == "v2"


def deploy_while_another_waits(forecast) -> tuple:
    """v1 is approved and its deployment holds the lock, polling an endpoint that never gets
    ready; while it waits, v2 is approved. (first run, its arn, the second run)."""
    forecast.harness.endpoint = "never_ready"
    second = {}

    def while_first_waits(execution, state, seconds):
        if state == "Wait for endpoint" and not second:
            second["waiting"] = execution
            second["run"] = forecast.registry.finished(forecast.registry.approve("v2"))

    forecast.harness.clock.on_wait = while_first_waits
    first_arn = forecast.registry.approve("v1")
    first = forecast.registry.finished(first_arn)
    assert second["waiting"] == first.name
    return first, first_arn, second["run"]


def test_second_deployment_fails_fast_naming_the_first_and_the_first_times_out(forecast):
    first, first_arn, blocked = deploy_while_another_waits(forecast)

    # The second one: refused at once, its notification names the running execution.
    assert (blocked.status, blocked.error) == ("FAILED", "DeploymentInProgress")
    notice = [n for n in published(forecast.topic) if n["message"]["execution"] == blocked.arn]
    assert [n["message"]["running_execution"] for n in notice] == [first_arn]
    assert "Create model" not in blocked.entered()
    assert forecast.harness.clock.waits_in("Wait for endpoint", blocked.name) == []

    # The first one: the endpoint never became ready; polled with growing waits, then timed out.
    assert (first.status, first.error) == ("FAILED", "DeploymentTimedOut")
    waits = forecast.harness.clock.waits_in("Wait for endpoint", first.name)
    assert waits == [30, 45, 68, 101, 152, 228, 342, 513, 769, 1153, 1730, 2595, 3892, 5839, 8758]  # poll: 30s x1.5, 15
    assert all(later > earlier for earlier, later in zip(waits, waits[1:]))
    assert sum(waits) < json.loads((forecast.out / "demand-forecast/default/deploy.asl.json").read_text())[
        "TimeoutSeconds"]  # the state machine's own time-out leaves room for every poll
    assert len(first.parameters("Describe endpoint")) == 15
    recorded = deployment(forecast, "demand-forecast")
    assert (recorded["status"], recorded["execution"], recorded["version"]) == ("timed_out", first_arn, "v1")
    assert sorted(subjects(forecast)) == ["deployment in progress", "deployment timed out"]

    # The lock is free again: the next deployment (v2 again, `mlopsc registry rollback --to v2`) proceeds.
    forecast.harness.endpoint, forecast.harness.clock.on_wait = "ready", None
    again = forecast.registry.deploy("v2", rollback=True)
    assert again.status == "SUCCEEDED", (again.error, again.cause)
    assert deployment(forecast, "demand-forecast")["version"] == "v2"


def test_alarm_during_linear_shift_rolls_back_and_is_recorded(forecast):
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    first_config = forecast.session.client("sagemaker").describe_endpoint(EndpointName="demand-forecast-default")[
        "EndpointConfigName"]

    forecast.harness.endpoint = "roll_back"  # an alarm fired: SageMaker rolls back to the old config
    run = forecast.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "DeploymentRolledBack")
    assert forecast.session.client("sagemaker").describe_endpoint(EndpointName="demand-forecast-default")[
        "EndpointConfigName"] == first_config
    recorded = deployment(forecast, "demand-forecast")
    assert (recorded["status"], recorded["version"], recorded["execution"]) == ("rolled_back", "v2", run.arn)
    assert subjects(forecast) == ["deployment rolled back"]
    assert "Register scalable target" in run.entered()  # scaling is restored on every way out (issue 13, item 8)


def test_an_unexpected_error_before_the_update_is_a_failed_deployment_that_frees_the_lock(forecast, monkeypatch):
    # Regression: "Deregister scalable target" caught only ObjectNotFoundException, so any other
    # error ended the execution uncaught: no notification, and the lock left at `deploying`
    # (every later deployment would fail DeploymentInProgress). Since issue 13 (item 8) the
    # variant is deregistered only for a new instance type; reading the endpoint's config is
    # the step before the update.
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    from moto.core.exceptions import JsonRESTError
    from moto.sagemaker.models import SageMakerModelBackend

    def busy(*_):
        raise JsonRESTError("ThrottlingException", "rate exceeded")

    monkeypatch.setattr(SageMakerModelBackend, "describe_endpoint_config", busy)
    run = forecast.registry.deploy("v2")
    assert (run.status, run.error) == ("FAILED", "DeploymentFailed")
    assert len(run.failures("Read endpoint config")) == 4  # 3 retries, then the catch
    assert subjects(forecast) == ["deployment failed"]
    assert deployment(forecast, "demand-forecast")["status"] == "failed"
    assert "Update endpoint" not in run.entered()


def test_deploying_an_unapproved_version_is_refused(forecast):
    """Started by hand (`mlopsc run deploy --input '{"version": "v3"}'`), not by an approval."""
    forecast.registry.register("v3", FORECAST_METRICS)  # registers v3, pending (manual)
    assert item(forecast.session, ("MODEL#demand-forecast", "VERSION#default#v3"))["approval"] == "pending"
    run = execute(forecast.sfn, "demand-forecast-default-deploy", "deploy-3", {"version": "v3"})
    assert (run.status, run.error) == ("FAILED", "VersionNotDeployable")
    assert deployment(forecast, "demand-forecast") == {}  # the lock was never taken


# ----------------------------------------------------------------------------- Lambda (fraud-scoring, prod)

@contextlib.contextmanager
def fraud_built(monkeypatch, tmp_path):
    """Versions v1 and v2 registered by retrain runs; the platform's function and canary alarm."""
    with applied(monkeypatch, tmp_path, [SAMPLES / "fraud-lambda"], environment="prod",
                 account="222222222222") as account:
        # The function (sfn_harness.create_serving_functions) and the alarm the canary checks are
        # the platform's; mlopsc only points at them.
        session = account.session
        session.client("cloudwatch").put_metric_alarm(
            AlarmName="fraud-scoring-prod-error-rate", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum",
            Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
        account.registry = Registry(account, monkeypatch, "fraud-scoring", "prod")
        for version in ("v1", "v2"):
            account.registry.register(version, FRAUD_METRICS)
        account.harness.clock.waits.clear()
        yield account


@pytest.fixture
def fraud(live_accounts):
    """fraud_built, built once for the module; each test runs in a fork of it."""
    with live_accounts.fresh("fraud", fraud_built) as account:
        yield account


def alias(account) -> dict:
    return account.session.client("lambda").get_alias(FunctionName="fraud-scoring", Name="live")


def test_lambda_canary_deploys_then_an_alarm_during_the_canary_rolls_back(fraud):
    first = fraud.registry.deploy("v1")
    assert first.status == "SUCCEEDED", (first.error, first.cause)
    assert "Create alias" in first.entered()  # no alias yet: nothing to shift traffic from
    assert deployment(fraud, "fraud-scoring", "prod")["status"] == "deployed"
    v1 = alias(fraud)["FunctionVersion"]
    configuration = fraud.session.client("lambda").get_function_configuration(FunctionName="fraud-scoring")
    assert configuration["MemorySize"] == 4096
    variables = configuration["Environment"]["Variables"]
    assert variables["MLOPS_MODEL_VERSION"] == "v1"
    # monitor.capture: the function writes 5% of its requests where the monitor reads them
    assert (variables["MLOPS_CAPTURE_URI"], variables["MLOPS_CAPTURE_PERCENT"]) == (
        "s3://acme-ml-artifacts-prod/fraud-scoring/prod/monitor/capture/", "5")

    def alarm_fires(execution, state, seconds):
        if execution != first.name and state == "Wait traffic interval":
            assert alias(fraud)["RoutingConfig"]["AdditionalVersionWeights"]  # 10% on the new version now
            fraud.session.client("cloudwatch").set_alarm_state(AlarmName="fraud-scoring-prod-rollback-error-rate",
                                                               StateValue="ALARM", StateReason="errors during the canary")

    fraud.harness.clock.on_wait = alarm_fires
    second = fraud.registry.deploy("v2")

    assert (second.status, second.error) == ("FAILED", "DeploymentRolledBack")
    shifted = second.parameters("Shift traffic")
    assert len(shifted) == 1 and list(shifted[0]["RoutingConfig"]["AdditionalVersionWeights"].values()) == [0.1]
    assert fraud.harness.clock.waits_in("Wait traffic interval") == [300]  # canary interval 5m
    live = alias(fraud)
    assert live["FunctionVersion"] == v1 and not live.get("RoutingConfig", {}).get("AdditionalVersionWeights")
    recorded = deployment(fraud, "fraud-scoring", "prod")
    assert (recorded["status"], recorded["version"], recorded["execution"]) == ("rolled_back", "v2", second.arn)
    assert subjects(fraud) == ["deployment rolled back"]
    state = published(fraud.topic)[0]["message"]["state"]
    assert [a["AlarmName"] for a in state["alarms"]["MetricAlarms"]] == ["fraud-scoring-prod-rollback-error-rate"]  # rolled back for the alarm
    assert "Promote version" not in second.entered()


def test_lambda_canary_without_alarm_promotes_the_new_version(fraud):
    assert fraud.registry.deploy("v1").status == "SUCCEEDED"
    second = fraud.registry.deploy("v2")
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    live = alias(fraud)
    assert live["FunctionVersion"] == second.output["published"]["Version"]
    assert not live.get("RoutingConfig", {}).get("AdditionalVersionWeights")
    assert deployment(fraud, "fraud-scoring", "prod")["version"] == "v2"
    assert published(fraud.topic) == []


def test_a_version_is_served_with_the_image_it_was_registered_with(forecast):
    """A rollback or promotion serves the old model with its own serving image, not the one the
    latest build put in the pointers; a version without that image is refused before the lock.

    The newer image comes from a later build applied (`apply_again`). A version item without
    `images` has no production path today (`Register model version` copies the pointers' images,
    which apply always writes): the deploy's guard is for an item registered before versions
    recorded their images. That state is made by removing the attribute, the one registry change
    by hand in this file, and a removal, never a value."""
    dynamodb = forecast.session.client("dynamodb")
    registered = item(forecast.session, ("MODEL#demand-forecast", "VERSION#default#v1"))["images"]["serve"]
    newer = registered.split("@")[0] + "@sha256:" + "f" * 64
    apply_again(forecast, [SAMPLES / "demand-forecast"], digest="f" * 64)
    assert item(forecast.session, ("MODEL#demand-forecast", "POINTERS#default"))["images"]["serve"] == newer

    run = forecast.registry.deploy("v1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    model = forecast.session.client("sagemaker").describe_model(ModelName=run.output["deployment"]["model"])
    assert model["PrimaryContainer"]["Image"] == registered != newer

    dynamodb.update_item(TableName="mlops-registry",
                         Key={"pk": {"S": "MODEL#demand-forecast"}, "sk": {"S": "VERSION#default#v2"}},
                         UpdateExpression="REMOVE images")  # as an item registered before versions had images
    refused = forecast.registry.deploy("v2")
    assert (refused.status, refused.error) == ("FAILED", "VersionNotDeployable")
    assert deployment(forecast, "demand-forecast")["version"] == "v1"  # the lock was never taken
