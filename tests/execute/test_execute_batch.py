"""The batch pipeline executed WHOLE in moto, from `Read pointers` to its end, with its
Distributed Map fed as AWS feeds it (sfn_distributed_map.py: ItemReader, ItemBatcher with
BatchInput, one child execution per batch, ToleratedFailurePercentage, ResultWriter).

Registry items come only from `mlopsc apply` (`sfn_harness.applied`) and from the registry's
handler, fed every event the executions published (test_full_life.Life); the approved model of
demand-forecast is there because its retrain ran, a person approved the version, and its deploy
pipeline deployed it.

Routes: the happy path, and once for each Catch of each Task the run passes (Read pointers,
Publish run started, the Score Map, Publish batch succeeded), plus the Choice defaults (pointers
missing, no approved model); each failure route must end in its own Fail state after notifying.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import sfn_distributed_map
from compiler.errors import Refused
from compiler.registry import store
from paths import REPO_ROOT
from sfn_harness import ACCOUNT, REGION, applied, execute, item, published, split_s3
from test_full_life import Life, _next_second

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
FORECAST = "demand-forecast"
BATCH = f"{FORECAST}-default-batch"


class Batch(Life):
    """A model's account with the Distributed Map harness and the registry handler wired."""

    def __init__(self, account, monkeypatch, model: str = FORECAST):
        super().__init__(account, monkeypatch)
        self.model = model
        self.map_runs = sfn_distributed_map.install(monkeypatch, account.session)

    def get(self, sk: str) -> dict:
        return item(self.account.session, (f"MODEL#{self.model}", sk))

    def seed(self, count: int, prefix: str = f"{FORECAST}/scoring/") -> list[str]:
        s3 = self.account.session.client("s3")
        keys = [f"{prefix}stores-{n:04d}.csv" for n in range(count)]
        for key in keys:
            s3.put_object(Bucket="acme-ml-data", Key=key, Body=b"store,day\n")
        s3.put_object(Bucket="acme-ml-data", Key=f"{self.model}/other/ignored.csv", Body=b"x")  # outside the prefix
        return keys

    def batch(self, run_id: str):
        run = execute(self.sfn, f"{self.model}-default-batch", run_id, timeout=120)
        return run, self.deliver()

    def release(self, version: str = "retrain-1") -> dict:
        """Retrain, approve (the registry library, as the CLI) and deploy: the approved pointer
        then names the version, written by the registry handler from DeploymentSucceeded."""
        self.retrain(version, {"rmse": 10.2, "mape": 0.11})
        _next_second()
        store.EnvironmentRegistry.connect(store.locate_one(self.account.out, "default", self.model)).approve(version)
        self.deploy_started_by_rule()
        self.account.harness.stages.runs.clear()
        return self.version(version)


@pytest.fixture
def forecast(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [SAMPLES / FORECAST]) as account:
        yield Batch(account, monkeypatch)


def variant(tmp_path: Path, sample: str, name: str, edit) -> Path:
    """A copy of a sample model repository whose config `edit(config)` changed."""
    root = tmp_path / "models"
    model = root / name
    shutil.copytree(SAMPLES / sample, model, ignore=shutil.ignore_patterns("data", "tests", "src"))
    shutil.copy(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
    config = yaml.safe_load((model / "mlops.yaml").read_text())
    edit(config)
    (model / "mlops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return model


def batch_only_model(tmp_path: Path, **batch) -> Path:
    """samples/demand-forecast with only its batch pipeline: no retrain, no deploy, no monitor."""
    def edit(config):
        config["model"]["name"] = "score-only"
        config.pop("monitor")
        config["pipelines"] = {"batch": {**config["pipelines"]["batch"],
                                         "input": "s3://acme-ml-data/score-only/scoring/", **batch}}
    return variant(tmp_path, FORECAST, "score-only", edit)


@pytest.fixture
def score_only(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [batch_only_model(tmp_path, tolerated_failure_percent=10)]) as account:
        yield Batch(account, monkeypatch, "score-only")


def manifest_of(account, uri: str) -> list:
    bucket, key = split_s3(uri)
    return json.loads(account.session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


# ----------------------------------------------------------------------------- the happy path

def test_a_mini_batch_runs_whole_and_its_run_ends_succeeded_in_the_registry(forecast):
    """Issue 13 item 1: the states after the Map read the parent execution's run id, not
    `$.BatchInput` (which only the Map's child executions have: "Distributed Map state",
    ItemBatcher's BatchInput): before the fix `Publish batch succeeded` failed with
    States.Runtime, no Catch took it, and the run's registry item stayed `running`."""
    version = forecast.release()
    keys = forecast.seed(230)

    run, events = forecast.batch("batch-run")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.entered() == ["Read pointers", "Check pointers", "Check approved model", "Publish run started",
                             "Score", "Publish batch succeeded", "Done"]
    assert [e["detail-type"] for e in events] == ["RunStarted", "StageSucceeded"]
    assert all(e["detail"]["run_id"] == "batch-run" and e["detail"]["execution"] == run.arn for e in events)
    registry_run = forecast.run("batch", "batch-run")
    assert (registry_run["status"], registry_run["stage_batch"]["status"]) == ("succeeded", "succeeded")

    [map_run] = forecast.map_runs
    batches = forecast.account.harness.stages.of("batch")
    assert [len(manifest_of(forecast.account, b.environment["MLOPS_BATCH_URI"])) for b in batches] == [
        50, 50, 50, 50, 30]  # batch_size 50 (ItemBatcher.MaxItemsPerBatch)
    scored = []
    for task in batches:
        environment = task.environment
        assert environment["MLOPS_MODEL_URI"] == version["model_data"]  # the approved, deployed version
        assert environment["MLOPS_RUN_ID"] == "batch-run"  # the parent's run id, through BatchInput
        assert environment["MLOPS_OUTPUT_URI"] == "s3://acme-ml-artifacts/demand-forecast/default/batch/batch-run/batch/"
        assert environment["MLOPS_BATCH_URI"].startswith(
            "s3://acme-ml-artifacts/demand-forecast/default/batch/batch-run/batches/")
        assert task.request["TaskDefinition"] == forecast.pointers()["task_definitions"]["batch-batch"]
        scored += [entry["Key"] for entry in manifest_of(forecast.account, environment["MLOPS_BATCH_URI"])]
    assert sorted(scored) == keys  # every object exactly once, nothing outside the prefix
    written = forecast.account.session.client("s3").get_object(
        Bucket="acme-ml-artifacts", Key=split_s3(batches[0].environment["MLOPS_BATCH_URI"])[1])
    assert written["ServerSideEncryption"] == "aws:kms"

    # ResultWriter: the Map's output is the manifest's place, kept under $.batches.manifest.
    details = run.output["batches"]["manifest"]
    assert details == {"Bucket": "acme-ml-artifacts",
                       "Key": f"demand-forecast/default/batch/batch-run/map-results/{map_run.id}/manifest.json"}
    manifest = json.loads(forecast.account.session.client("s3").get_object(**details)["Body"].read())
    assert manifest["MapRunArn"] == map_run.arn and len(manifest["ResultFiles"]["SUCCEEDED"]) == 1
    assert published(forecast.account.topic) == []


def test_a_batch_only_model_scores_with_its_image_alone(score_only):
    """Issue 13 item 3: a model with only a batch pipeline has no retrain, so no model version
    and no approved pointer: its image is the model. The pipeline must not require
    `approved_model_data` (only a deployment writes it), and passes no MLOPS_MODEL_URI."""
    score_only.seed(12, prefix="score-only/scoring/")
    definition = json.loads((score_only.account.out / "score-only/default/batch.asl.json").read_text())
    assert "approved_model_data" not in json.dumps(definition)

    run, events = score_only.batch("score-1")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert "Check approved model" not in run.entered()
    assert score_only.run("batch", "score-1")["status"] == "succeeded"
    [task] = score_only.account.harness.stages.of("batch")
    assert "MLOPS_MODEL_URI" not in task.environment
    assert task.environment["MLOPS_RUN_ID"] == "score-1"


CHURN_METRICS = {"auc": 0.91, "logloss": 0.3}  # passes churn-fargate's gate


def _retrain_churn(scoring: Batch, run_id: str) -> dict:
    scoring.account.harness.stages.metrics = CHURN_METRICS
    run = execute(scoring.sfn, "churn-fargate-default-retrain", run_id, timeout=120)
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    scoring.deliver()
    scoring.account.harness.stages.runs.clear()
    return scoring.version(run_id)


def test_a_model_without_deploy_scores_with_the_version_approval_released(monkeypatch, tmp_path):
    """Issue 13 item 3: churn-fargate (retrain with `register.approval: auto`, batch, no deploy)
    could never run its batch: only a deployment moved the approved pointer. Without a deploy
    pipeline, approving a version releases it: the registry handler moves the pointer on the
    auto-approved ModelRegistered, and the batch scores with that version's model data."""
    with applied(monkeypatch, tmp_path, [SAMPLES / "churn-fargate"]) as account:
        churn = Batch(account, monkeypatch, "churn-fargate")
        version = _retrain_churn(churn, "retrain-1")
        assert version["approval"] == "approved"
        pointers = churn.pointers()
        assert (pointers["approved_version"], pointers["approved_model_data"]) == ("retrain-1",
                                                                                   version["model_data"])

        run, events = churn.batch("nightly-1")

        assert run.status == "SUCCEEDED", (run.error, run.cause)
        [task] = churn.account.harness.stages.of("batch")
        assert task.environment["MLOPS_MODEL_URI"] == version["model_data"]
        assert churn.run("batch", "nightly-1")["status"] == "succeeded"


def test_a_model_without_deploy_needs_a_person_to_approve_with_manual_approval(monkeypatch, tmp_path):
    """With `register.approval: manual` the registered version is pending: the batch fails
    NoApprovedModel, naming `mlopsc registry approve`; once approved (the registry library,
    as the CLI does) the batch scores with it."""
    def manual(config):
        config["pipelines"]["retrain"]["register"]["approval"] = "manual"
    with applied(monkeypatch, tmp_path, [variant(tmp_path, "churn-fargate", "churn-fargate", manual)]) as account:
        churn = Batch(account, monkeypatch, "churn-fargate")
        version = _retrain_churn(churn, "retrain-1")
        assert version["approval"] == "pending" and "approved_version" not in churn.pointers()
        early, _ = churn.batch("nightly-1")
        assert (early.status, early.error) == ("FAILED", "NoApprovedModel")
        assert "mlopsc registry approve OUT VERSION --env default" in early.cause
        published(account.topic)  # (the notification of that failure)

        registry = store.EnvironmentRegistry.connect(store.locate_one(account.out, "default", "churn-fargate"))
        registry.approve("retrain-1")
        churn.deliver()
        with pytest.raises(Refused, match="released one") as refused:
            registry.reject("retrain-1")  # what batch scores with: not without a successor
        assert "approve another version first" in refused.value.hint
        assert churn.pointers()["approved_model_data"] == version["model_data"]
        run, _ = churn.batch("nightly-2")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        [task] = churn.account.harness.stages.of("batch")
        assert task.environment["MLOPS_MODEL_URI"] == version["model_data"]


# ----------------------------------------------------------------------------- every failure route

def failed_route(account, run, fail_state: str, error: str, topic_subject: str) -> None:
    assert (run.status, run.error) == ("FAILED", error), (run.error, run.cause)
    assert run.entered()[-1] == fail_state
    [message] = published(account.topic)
    assert message["subject"] == topic_subject
    assert message["message"]["execution"] == run.arn


def test_a_retrained_model_never_deployed_fails_no_approved_model(forecast):
    """Issue 13 item 3: without an approved version the run fails on its own error, saying how
    to get one, instead of the misleading `pointers missing`."""
    run, events = forecast.batch("batch-early")
    failed_route(forecast.account, run, "No approved model", "NoApprovedModel",
                 "[mlops] demand-forecast default batch: no approved model")
    assert "deploy an approved version" in run.cause
    assert forecast.run("batch", "batch-early")["status"] == "failed"
    assert forecast.account.harness.stages.runs == []


@pytest.fixture(params=["score-only", "churn-fargate"])
def either(request, monkeypatch, tmp_path):
    """Each failure route runs in both shapes of the batch pipeline: mini (a Distributed Map, a
    model with only a batch pipeline) and full (samples/churn-fargate, one task, scoring with the
    version its retrain registered and auto-approved)."""
    model = request.param
    path = batch_only_model(tmp_path, tolerated_failure_percent=10) if model == "score-only" else SAMPLES / model
    with applied(monkeypatch, tmp_path, [path]) as account:
        scoring = Batch(account, monkeypatch, model)
        if model == "churn-fargate":
            _retrain_churn(scoring, "retrain-1")
        bucket, prefix = split_s3(scoring.pointers()["settings"]["batch"]["input"])
        scoring.seed(3, prefix=prefix)
        yield scoring


def test_pointers_missing(either):
    """The Check pointers default. apply always writes the images, so the state this route guards
    against (an image missing, e.g. a runtime added to the config and not yet built) is made by
    removing the attribute: the one registry change by hand here, and a removal, never a value."""
    dynamodb = either.account.session.client("dynamodb")
    dynamodb.update_item(TableName="mlops-registry", Key={"pk": {"S": f"MODEL#{either.model}"},
                                                          "sk": {"S": "POINTERS#default"}},
                         UpdateExpression="REMOVE images")  # as before apply wrote any image
    run, _ = either.batch("score-2")
    failed_route(either.account, run, "Pointers missing", "PointersMissing",
                 f"[mlops] {either.model} default batch: pointers missing")
    assert either.run("batch", "score-2")["status"] == "failed"


def test_registry_read_failed(either):
    either.account.session.client("dynamodb").delete_table(TableName="mlops-registry")
    run = execute(either.sfn, f"{either.model}-default-batch", "score-3", timeout=120)
    failed_route(either.account, run, "Registry read failed", "RegistryReadFailed",
                 f"[mlops] {either.model} default batch: registry read failed")
    assert run.entered()[:2] == ["Read pointers", "Notify registry read failed"]


def _break_bus(monkeypatch, failing: str):
    """EventBridge refuses the entries of one detail type (as PutEvents does for a bus the role
    may not write to: an error the state retries, then catches)."""
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events

    def put_events(self, events):
        if any(e.get("DetailType") == failing for e in events):
            raise RuntimeError(f"harness: PutEvents of {failing} refused")
        return original(self, events)

    monkeypatch.setattr(EventsBackend, "put_events", put_events)


@pytest.mark.parametrize("detail_type, last_before", [("RunStarted", "Publish run started"),
                                                      ("StageSucceeded", "Publish batch succeeded")])
def test_event_publishing_failed(either, monkeypatch, detail_type, last_before):
    _break_bus(monkeypatch, detail_type)
    run, _ = either.batch("score-4")
    failed_route(either.account, run, "Event publishing failed", "EventsFailed",
                 f"[mlops] {either.model} default batch: event publishing failed")
    assert last_before in run.entered()


def test_a_failing_task_fails_the_batch_after_its_retries(either):
    """The Score Task (full) or a child of the Score Map (mini) fails every attempt: the Catch
    notifies, publishes StageFailed with the parent's run id, and the registry records it."""
    # retry.max_attempts: 2 in demand-forecast's stage_defaults, 3 in churn-fargate's
    attempts = {"score-only": 3, "churn-fargate": 4}[either.model]
    either.account.harness.stages.fail["batch"] = float("inf")
    run, events = either.batch("score-8")
    failed_route(either.account, run, "Batch failed", "BatchFailed",
                 f"[mlops] {either.model} default batch: batch failed")
    assert [e["detail-type"] for e in events][-1] == "StageFailed"
    assert events[-1]["detail"]["run_id"] == "score-8"
    assert either.run("batch", "score-8")["status"] == "failed"
    assert len(either.account.harness.stages.of("batch")) == attempts


def test_a_failing_batch_beyond_the_tolerated_share_fails_the_map_and_is_recorded(score_only):
    """ToleratedFailurePercentage 10 ("Distributed Map state", tolerated failure threshold): 1
    failed batch of 5 (20% of the items) fails the Map with States.ExceedToleratedFailureThreshold;
    its Catch notifies, publishes StageFailed and the registry records the run failed. The failed
    batch was retried (retry.max_attempts 2) before its child execution failed."""
    score_only.seed(60, prefix="score-only/scoring/")  # batches of 50 and 10 (batch_size 50)
    score_only.account.harness.stages.fail["batch"] = 3  # the first batch fails all 3 attempts
    run, events = score_only.batch("score-5")
    failed_route(score_only.account, run, "Batch failed", "BatchFailed",
                 "[mlops] score-only default batch: batch failed")
    [message] = published(score_only.account.topic)
    assert message["message"]["state"]["error"]["Error"] == "States.ExceedToleratedFailureThreshold"
    assert [e["detail-type"] for e in events] == ["RunStarted", "StageFailed"]
    assert events[-1]["detail"]["run_id"] == "score-5"  # the parent's run id, not $.BatchInput's
    recorded = score_only.run("batch", "score-5")
    assert (recorded["status"], recorded["error"]) == ("failed", "BatchFailed")
    assert len(score_only.map_runs) == 1
    assert len(score_only.account.harness.stages.of("batch")) == 3  # one batch, 3 attempts; no more started


def test_a_failing_batch_within_the_tolerated_share_lets_the_run_succeed(monkeypatch, tmp_path):
    model = batch_only_model(tmp_path, tolerated_failure_percent=50, batch_size=10)
    with applied(monkeypatch, tmp_path, [model]) as account:
        scoring = Batch(account, monkeypatch, "score-only")
        scoring.seed(40, prefix="score-only/scoring/")
        scoring.account.harness.stages.fail["batch"] = 3  # the first batch's 3 attempts fail
        run, events = scoring.batch("score-6")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        assert len(scoring.account.harness.stages.of("batch")) == 3 + 3  # 4 batches, the first retried
        details = run.output["batches"]["manifest"]
        manifest = json.loads(account.session.client("s3").get_object(**details)["Body"].read())
        failed = json.loads(account.session.client("s3").get_object(
            Bucket=details["Bucket"], Key=manifest["ResultFiles"]["FAILED"][0]["Key"])["Body"].read())
        assert [f["Status"] for f in failed] == ["FAILED"] and failed[0]["Error"] == "States.TaskFailed"
        assert scoring.run("batch", "score-6")["status"] == "succeeded"


def test_an_unreadable_input_fails_the_map_with_item_reader_failed(score_only):
    score_only.account.session.client("s3").delete_bucket(Bucket="acme-ml-data")
    run, _ = score_only.batch("score-7")
    failed_route(score_only.account, run, "Batch failed", "BatchFailed",
                 "[mlops] score-only default batch: batch failed")
    [message] = published(score_only.account.topic)
    assert message["message"]["state"]["error"]["Error"] == "States.ItemReaderFailed"


def test_the_batch_state_machine_is_applied_as_compiled(forecast):
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{BATCH}"
    described = forecast.sfn.describe_state_machine(stateMachineArn=arn)
    assert json.loads(described["definition"]) == json.loads(
        (forecast.account.out / "demand-forecast/default/batch.asl.json").read_text())
