"""What the state machines do for the monitor, executed in moto (see sfn_harness.py): the retrain
pipeline's baseline stage, the cool-down of a retrain started by a drift alarm, the endpoint's data
capture and Model Monitor schedule (samples/demand-forecast), and the drift pipeline that runs the
model's own drift job (samples/fraud-lambda, `fraud-scoring`, dev: Fargate; and demand-forecast's
endpoint with a drift job of its own, a SageMaker processing job, for accounts without Model Monitor).

Registry items come from the production path only (sfn_harness.Registry): versions from whole
retrain runs, deployments started by approvals through the deploy-approved rule, every event fed
to the registry's handler. A version without a baseline is one registered before the model had
drift monitoring: retrained under a config without it, then the sample applied (`apply_again`)."""

from __future__ import annotations

import contextlib

import pytest
import yaml

from compile_helpers import make_repo
from compiler.registry import items
from paths import REPO_ROOT
from sfn_harness import Registry, applied, apply_again, execute, item, published

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
ARTIFACTS = "s3://acme-ml-artifacts"
DRIFT_ALARM = "fraud-scoring-dev-drift-log_amount"
FRAUD_METRICS = {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01}
FORECAST_METRICS = {"rmse": 11.0, "mape": 0.1}


@pytest.fixture
def forecast(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [SAMPLES / "demand-forecast"]) as account:
        yield account


@pytest.fixture
def forecast_job(monkeypatch, tmp_path):
    """demand-forecast whose endpoint's drift is measured by a drift job of its own."""
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    config["monitor"]["drift"]["job"] = {"runtime": "prep", "command": ["python", "-m", "forecast.drift"]}
    repository = make_repo(tmp_path / "repositories", "forecast-job", config, SAMPLES / "mlops-platform.yaml")
    with applied(monkeypatch, tmp_path, [repository]) as account:
        yield account


@pytest.fixture
def fraud(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [SAMPLES / "fraud-lambda"], environment="dev") as account:
        yield account


@contextlib.contextmanager
def before_drift_monitoring(monkeypatch, tmp_path, sample: str, model: str, environment: str, metrics: dict):
    """An account where version v0 was registered before the model had drift monitoring (the
    sample without `monitor.baseline`, `drift` and `capture`: no baseline stage, so no
    `baseline_uri`), then the sample itself applied by a later commit. Yields (account, registry)."""
    config = yaml.safe_load((SAMPLES / sample / "mlops.yaml").read_text())
    for key in ("baseline", "drift", "capture"):
        config["monitor"].pop(key)
    repository = make_repo(tmp_path / "repositories", sample, config, SAMPLES / "mlops-platform.yaml")
    with applied(monkeypatch, tmp_path, [repository], environment) as account:
        versions = Registry(account, monkeypatch, model, environment)
        versions.register("v0", metrics)
        assert "baseline_uri" not in item(account.session, (f"MODEL#{model}", f"VERSION#{environment}#v0"))
        apply_again(account, [SAMPLES / sample], environment)
        yield account, versions


def ecs_environments(account) -> dict:
    """MLOPS_STAGE -> the environment its (last) Fargate task was given."""
    return {run.stage: {e["Name"]: e["Value"] for e in run.request["Overrides"]["ContainerOverrides"][0]["Environment"]}
            for run in account.harness.stages.runs if run.kind == "ecs"}


# ----------------------------------------------------------------------------- the baseline stage

def test_the_baseline_runs_after_train_on_trains_input_and_is_registered(forecast):
    forecast.harness.stages.metrics = {"rmse": 11.0, "mape": 0.1}
    run = execute(forecast.sfn, "demand-forecast-default-retrain", "run-b")  # no `trigger` at all

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    runs = forecast.harness.stages.runs
    assert [(r.kind, r.stage) for r in runs] == [("processing", "transform"), ("tuning", "tune"), ("training", "train"),
                                                 ("processing", "baseline"), ("processing", "evaluate")]
    out = f"{ARTIFACTS}/demand-forecast/default/retrain/run-b"
    train, baseline, evaluate = runs[2].request, runs[3].request, runs[4].request
    assert baseline["Environment"]["MLOPS_INPUT_URI"] == train["Environment"]["MLOPS_INPUT_URI"] == f"{out}/transform/"
    assert baseline["Environment"]["MLOPS_OUTPUT_URI"] == f"{out}/baseline/"
    assert baseline["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"{out}/baseline/"
    assert baseline["AppSpecification"]["ContainerEntrypoint"] == ["python", "-m", "forecast.baseline"]
    assert evaluate["Environment"]["MLOPS_INPUT_URI"] == f"{out}/train/"  # the model, as before
    assert item(forecast.session, ("MODEL#demand-forecast", "VERSION#default#run-b"))["baseline_uri"] == f"{out}/baseline/"
    registered = run.parameters("Publish model registered")[0]["Entries"][0]
    assert (registered["DetailType"], registered["Detail"]["baseline_uri"]) == ("ModelRegistered", f"{out}/baseline/")
    assert "Started by drift?" in run.entered() and "Read deployment" not in run.entered()


# ----------------------------------------------------------------------------- drift-started retrain

def test_a_drift_alarm_retrains_once_per_window_and_records_the_live_version(fraud, monkeypatch):
    versions = Registry(fraud, monkeypatch, "fraud-scoring", "dev")
    fraud.harness.stages.metrics = FRAUD_METRICS
    # Fixed start times: the window is cut from them, not from today's clock.
    fraud.harness.clock.start_times.update({
        "drift-0": "2026-11-25T12:00:00.000Z", "drift-1": "2026-11-26T01:47:28.123Z",
        "drift-2": "2026-11-26T23:59:59.999Z", "drift-3": "2026-11-27T00:00:00.000Z"})
    alarm = {"trigger": "drift", "alarm": DRIFT_ALARM}

    # Nothing deployed yet: the item says so.
    versions.register("drift-0", payload=alarm)
    window_0 = item(fraud.session, ("MODEL#fraud-scoring", items.drift_prefix("dev") + "2026-11-25"))
    assert window_0["live_version"] == "none"

    versions.release("v-live")  # registered, approved, deployed: the live version
    first = execute(fraud.sfn, "fraud-scoring-dev-retrain", "drift-1", alarm)
    assert first.status == "SUCCEEDED", (first.error, first.cause)
    assert [r.stage for r in fraud.harness.stages.runs] == ["validate", "train", "baseline", "evaluate"]
    environments = ecs_environments(fraud)
    out = f"{ARTIFACTS}/fraud-scoring/dev/retrain/drift-1"
    assert environments["baseline"]["MLOPS_INPUT_URI"] == environments["train"]["MLOPS_INPUT_URI"] == f"{out}/validate/"
    registered = item(fraud.session, ("MODEL#fraud-scoring", "VERSION#dev#drift-1"))
    assert registered["baseline_uri"] == f"{out}/baseline/"
    # Its lineage: retrained on drift from the version that served then (none served for drift-0).
    assert registered["lineage"] == {"trigger": "drift", "drift_alarm": DRIFT_ALARM, "parent_version": "v-live",
                                     "parent_relation": "retrained_on_drift"}
    assert item(fraud.session, ("MODEL#fraud-scoring", "VERSION#dev#drift-0"))["lineage"] == {
        "trigger": "drift", "drift_alarm": DRIFT_ALARM}
    key = ("MODEL#fraud-scoring", items.drift_prefix("dev") + "2026-11-26")
    recorded = item(fraud.session, key)
    assert {k: recorded[k] for k in ("alarm", "live_version", "execution", "window", "cooldown")} == {
        "alarm": DRIFT_ALARM, "live_version": "v-live", "execution": first.arn, "window": "2026-11-26", "cooldown": "1d"}
    detected = first.parameters("Publish drift detected")[0]["Entries"][0]["Detail"]
    assert (detected["alarm"], detected["live_version"]) == (DRIFT_ALARM, "v-live")
    assert first.entered().index("Publish drift detected") < first.entered().index("Publish run started")

    # The alarm flaps the same UTC day: the run holds no window, runs and announces nothing.
    fraud.harness.stages.runs.clear()
    second = execute(fraud.sfn, "fraud-scoring-dev-retrain", "drift-2", alarm)
    assert (second.status, second.entered()[-1]) == ("SUCCEEDED", "Cooling down")
    assert fraud.harness.stages.runs == []
    assert "Publish run started" not in second.entered() and "Publish drift detected" not in second.entered()
    assert item(fraud.session, key) == recorded
    assert item(fraud.session, ("MODEL#fraud-scoring", "VERSION#dev#drift-2")) == {}

    # The next day is a new window.
    third = execute(fraud.sfn, "fraud-scoring-dev-retrain", "drift-3", alarm)
    assert third.status == "SUCCEEDED", (third.error, third.cause)
    assert item(fraud.session, ("MODEL#fraud-scoring", items.drift_prefix("dev") + "2026-11-27"))["live_version"] == "v-live"
    assert published(fraud.topic) == []


def test_a_run_not_started_by_drift_is_never_cooled_down(fraud):
    """The window of the day is taken, but a scheduled run (or one whose drift input has no alarm)
    goes straight on."""
    fraud.harness.stages.metrics = FRAUD_METRICS
    fraud.harness.clock.start_times.update({"claim": "2026-11-26T01:00:00.000Z", "scheduled": "2026-11-26T02:00:00.000Z"})
    fraud.harness.stages.fail["validate"] = float("inf")  # the claiming run stops at its first stage
    claim = execute(fraud.sfn, "fraud-scoring-dev-retrain", "claim", {"trigger": "drift", "alarm": DRIFT_ALARM})
    assert (claim.status, claim.error) == ("FAILED", "ValidateFailed")
    fraud.harness.stages.fail.clear()
    fraud.harness.stages.runs.clear()
    for name, payload in (("scheduled", {"trigger": "schedule"}), ("no-alarm", {"trigger": "drift"})):
        run = execute(fraud.sfn, "fraud-scoring-dev-retrain", name, payload)
        assert run.status == "SUCCEEDED", (name, run.error, run.cause)
        assert "Claim drift window" not in run.entered(), name


# ----------------------------------------------------------------------------- the endpoint's monitoring

def test_an_endpoint_deployment_captures_requests_and_schedules_drift_checks(forecast, monkeypatch):
    from botocore.validate import validate_parameters

    versions = Registry(forecast, monkeypatch, "demand-forecast")
    for version in ("v1", "v2"):
        versions.register(version, FORECAST_METRICS)
    first = versions.deploy("v1")

    assert first.status == "SUCCEEDED", (first.error, first.cause)
    sagemaker = forecast.session.client("sagemaker")
    capture = sagemaker.describe_endpoint_config(EndpointConfigName=first.output["deployment"]["endpoint_config"])[
        "DataCaptureConfig"]
    assert (capture["EnableCapture"], capture["InitialSamplingPercentage"], capture["DestinationS3Uri"]) == (
        True, 20, f"{ARTIFACTS}/demand-forecast/default/monitor/capture/")
    assert [option["CaptureMode"] for option in capture["CaptureOptions"]] == ["Input", "Output"]
    # CSV and JSON bodies captured as text: without the header, SageMaker base64-encodes them.
    assert capture["CaptureContentTypeHeader"] == {"CsvContentTypes": ["text/csv"],
                                                   "JsonContentTypes": ["application/json"]}
    request = forecast.harness.monitoring_schedules["demand-forecast-default-drift"]
    validate_parameters(request, sagemaker.meta.service_model.operation_model("CreateMonitoringSchedule").input_shape)
    schedule = request["MonitoringScheduleConfig"]
    job = schedule["MonitoringJobDefinition"]
    # A daily run analyses the whole UTC day before it (offsets from its scheduled time).
    assert (schedule["MonitoringType"], schedule["ScheduleConfig"]) == ("DataQuality", {
        "ScheduleExpression": "cron(0 0 ? * * *)", "DataAnalysisStartTime": "-PT24H", "DataAnalysisEndTime": "-PT0H"})
    baseline = f"{ARTIFACTS}/demand-forecast/default/retrain/v1/baseline/"
    assert job["BaselineConfig"] == {"ConstraintsResource": {"S3Uri": f"{baseline}constraints.json"},
                                     "StatisticsResource": {"S3Uri": f"{baseline}statistics.json"}}
    assert job["MonitoringInputs"][0]["EndpointInput"]["EndpointName"] == "demand-forecast-default"
    assert job["MonitoringAppSpecification"]["ImageUri"] == \
        "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    assert job["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert job["RoleArn"] == "arn:aws:iam::111111111111:role/mlops-demand-forecast-task"
    monitoring = [action for action, _ in forecast.harness.sagemaker_requests if "MonitoringSchedule" in action]
    assert monitoring == ["createMonitoringSchedule"]
    # after the deployment was recorded and announced
    entered = first.entered()
    assert entered.index("Publish deployment succeeded") < entered.index("Create monitoring schedule")

    second = versions.deploy("v2")
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    assert [f["error"] for f in second.failures("Create monitoring schedule")] == ["SageMaker.ResourceInUseException"]
    assert "Update monitoring schedule" in second.entered()
    job = forecast.harness.monitoring_schedules["demand-forecast-default-drift"]["MonitoringScheduleConfig"][
        "MonitoringJobDefinition"]
    assert job["BaselineConfig"]["ConstraintsResource"]["S3Uri"] == \
        f"{ARTIFACTS}/demand-forecast/default/retrain/v2/baseline/constraints.json"
    assert published(forecast.topic) == []


def test_a_version_without_a_baseline_deploys_and_its_monitoring_is_not_updated(monkeypatch, tmp_path):
    with before_drift_monitoring(monkeypatch, tmp_path, "demand-forecast", "demand-forecast", "default",
                                 FORECAST_METRICS) as (forecast, versions):
        run = versions.deploy("v0")

        assert (run.status, run.error) == ("FAILED", "MonitoringNotUpdated")
        lock = item(forecast.session, ("MODEL#demand-forecast", "DEPLOYMENT#default"))
        assert (lock["status"], lock["version"]) == ("deployed", "v0")  # the deployment itself succeeded
        assert "Publish deployment succeeded" in run.entered()
        assert forecast.harness.monitoring_schedules == {}
        assert [n["subject"] for n in published(forecast.topic)] == [
            "[mlops] demand-forecast default deploy: monitoring baseline missing"]


# ----------------------------------------------------------------------------- the drift pipeline

def test_the_drift_job_compares_the_live_versions_baseline_and_needs_a_deployment(fraud, monkeypatch):
    nothing = execute(fraud.sfn, "fraud-scoring-dev-drift", "drift-none")
    assert (nothing.status, nothing.entered()[-1]) == ("SUCCEEDED", "Nothing deployed")
    assert fraud.harness.stages.runs == [] and "Publish run started" not in nothing.entered()

    versions = Registry(fraud, monkeypatch, "fraud-scoring", "dev")
    versions.release("v1", FRAUD_METRICS)
    run = execute(fraud.sfn, "fraud-scoring-dev-drift", "drift-1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert "Live: last deployment" in run.entered()
    environment = ecs_environments(fraud)["drift"]
    capture = f"{ARTIFACTS}/fraud-scoring/dev/monitor/capture/"
    assert {k: environment[k] for k in ("MLOPS_BASELINE_URI", "MLOPS_CAPTURE_URI", "MLOPS_DRIFT_WINDOW_HOURS",
                                        "MLOPS_INPUT_URI", "MLOPS_METRICS_NAMESPACE", "MLOPS_MODEL_VERSION",
                                        "MLOPS_PIPELINE")} == {
        "MLOPS_BASELINE_URI": f"{ARTIFACTS}/fraud-scoring/dev/retrain/v1/baseline/", "MLOPS_CAPTURE_URI": capture,
        "MLOPS_DRIFT_WINDOW_HOURS": "1", "MLOPS_INPUT_URI": capture, "MLOPS_METRICS_NAMESPACE": "mlops/fraud-scoring",
        "MLOPS_MODEL_VERSION": "v1", "MLOPS_PIPELINE": "drift"}
    assert environment["MLOPS_OUTPUT_URI"] == f"{ARTIFACTS}/fraud-scoring/dev/drift/drift-1/drift/"
    assert fraud.harness.stages.runs[0].request["TaskDefinition"].endswith("task-definition/fraud-scoring-dev-drift-drift:1")
    checked = run.parameters("Publish drift checked")[0]["Entries"][0]
    assert (checked["DetailType"], checked["Detail"]["version"]) == ("DriftChecked", "v1")

    # A later deployment failed: the version still serving is the one the approved pointer names.
    versions.register("v2", FRAUD_METRICS)
    fraud.harness.fail_state("Update function code", "Lambda.ServiceException")
    failed = versions.deploy("v2")
    assert (failed.status, failed.error) == ("FAILED", "DeploymentFailed")
    lock = item(fraud.session, ("MODEL#fraud-scoring", "DEPLOYMENT#dev"))
    assert (lock["status"], lock["version"]) == ("failed", "v2")
    assert item(fraud.session, ("MODEL#fraud-scoring", "POINTERS#dev"))["approved_version"] == "v1"
    fraud.harness.faults.clear()
    again = execute(fraud.sfn, "fraud-scoring-dev-drift", "drift-2")
    assert again.status == "SUCCEEDED", (again.error, again.cause)
    assert "Live: approved version" in again.entered()
    assert ecs_environments(fraud)["drift"]["MLOPS_MODEL_VERSION"] == "v1"
    # the failed deployment paged someone; no drift run did
    assert [n["message"]["execution"] for n in published(fraud.topic)] == [failed.arn]


def test_a_live_version_without_a_baseline_is_notified(monkeypatch, tmp_path):
    with before_drift_monitoring(monkeypatch, tmp_path, "fraud-lambda", "fraud-scoring", "dev",
                                 FRAUD_METRICS) as (fraud, versions):
        deployed = versions.deploy("v0")
        assert deployed.status == "SUCCEEDED", (deployed.error, deployed.cause)
        fraud.harness.stages.runs.clear()
        run = execute(fraud.sfn, "fraud-scoring-dev-drift", "drift-0")
        assert (run.status, run.error) == ("FAILED", "BaselineMissing")
        assert fraud.harness.stages.runs == []
        assert [n["subject"] for n in published(fraud.topic)] == ["[mlops] fraud-scoring dev drift: baseline missing"]


def test_an_endpoints_own_drift_job_reads_the_capture_files_sagemaker_writes(forecast_job, monkeypatch):
    """Deployed without a Model Monitor schedule; the drift pipeline's job reads the hour folders
    SageMaker's data capture writes under `<DestinationS3Uri><endpoint>/<variant>/`
    (model-monitor-data-capture-endpoint.html, "View Captured Data")."""
    versions = Registry(forecast_job, monkeypatch, "demand-forecast")
    versions.register("v1", FORECAST_METRICS)
    deployment = versions.deploy("v1")
    assert deployment.status == "SUCCEEDED", (deployment.error, deployment.cause)
    assert deployment.entered()[-1] == "Done" and "Baseline recorded?" not in deployment.entered()
    assert forecast_job.harness.monitoring_schedules == {}
    assert not [action for action, _ in forecast_job.harness.sagemaker_requests if "MonitoringSchedule" in action]
    sagemaker = forecast_job.session.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName="demand-forecast-default")
    endpoint_config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    destination = endpoint_config["DataCaptureConfig"]["DestinationS3Uri"]
    variant = endpoint_config["ProductionVariants"][0]["VariantName"]

    run = execute(forecast_job.sfn, "demand-forecast-default-drift", "drift-1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    (job,) = [r for r in forecast_job.harness.stages.runs if r.stage == "drift"]
    environment = job.request["Environment"]
    captured = f"{destination}{endpoint['EndpointName']}/{variant}/"
    assert captured == f"{ARTIFACTS}/demand-forecast/default/monitor/capture/demand-forecast-default/AllTraffic/"
    assert (environment["MLOPS_CAPTURE_URI"], environment["MLOPS_INPUT_URI"]) == (captured, captured)
    assert (environment["MLOPS_DRIFT_WINDOW_HOURS"], environment["MLOPS_MODEL_VERSION"]) == ("24", "v1")
    assert environment["MLOPS_METRICS_NAMESPACE"] == "mlops/demand-forecast"
    assert published(forecast_job.topic) == []
