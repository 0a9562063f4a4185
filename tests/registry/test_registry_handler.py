"""The registry's Lambda handler (compiler/registry/handler.py) against a moto server's DynamoDB.

The handler is called as Lambda calls it (`handler(event, context)`, the table in
MLOPS_REGISTRY_TABLE), with boto3 reaching moto through AWS_ENDPOINT_URL. Covered: each event
type, redelivery (the same event twice changes nothing), out-of-order delivery (every order of a
run's or two deployments' events ends in the state in-order delivery gives), and the shape that
keeps concurrent writers from losing updates (every write one conditional UpdateItem).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from compiler import api
from compiler.artifacts import write
from compiler.registry import handler, items
from moto_aws import aws, create_platform, moto_server  # noqa: F401 - fixtures
from paths import REPO_ROOT
from registry_events import (MODEL, TABLE, clear, drift_detected, event, failure, get, lock, model_data, pointers,
                             put_version, registered, table_state)

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

GOLDEN = REPO_ROOT / "tests" / "golden" / MODEL / "default"
SAMPLES = REPO_ROOT / "samples"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("registry-out")
    result = api.compile_outputs([str(SAMPLES / MODEL)], None, "default")
    assert result.validation.ok
    write.write(out, result.outputs)
    return out


@pytest.fixture
def dynamodb(aws, out, monkeypatch):
    create_platform(aws, out)
    monkeypatch.setenv(handler.TABLE_VARIABLE, TABLE)
    monkeypatch.setattr(handler, "_CLIENT", None)  # a client for this test's moto credentials
    return aws.client("dynamodb")


def deliver(*events) -> list[dict]:
    return [handler.handler(e, None) for e in events]


def run(pipeline: str, run_id: str) -> dict:
    return items.run_view(get(boto3_client(), items.run_sk("default", pipeline, run_id)))


def boto3_client():
    return handler._dynamodb()


# --------------------------------------------------------------------------- the events' shapes

def golden_details() -> dict:
    """(pipeline, detail type) -> set of detail keys, as the compiled ASL publishes them."""
    found = {}
    for pipeline in ("retrain", "deploy", "batch"):
        definition = json.loads((GOLDEN / f"{pipeline}.asl.json").read_text())
        for state in definition["States"].values():
            if state.get("Resource") == "arn:aws:states:::events:putEvents":
                for entry in state["Parameters"]["Entries"]:
                    keys = {key.removesuffix(".$") for key in entry["Detail"]}
                    found.setdefault((pipeline, entry["DetailType"]), set()).update(keys)
    return found


def test_the_test_events_have_the_shapes_the_pipelines_publish():
    """The events these tests deliver carry the detail keys the compiled ASL gives them, and the
    handler handles every detail type the ASL publishes."""
    golden = golden_details()
    built = {
        ("retrain", "RunStarted"): event("RunStarted", "retrain", "r", 0),
        ("retrain", "StageSucceeded"): event("StageSucceeded", "retrain", "r", 0, stage="train"),
        ("retrain", "StageFailed"): failure("StageFailed", "retrain", "r", 0, "train failed", "TrainFailed", stage="train"),
        ("retrain", "GateFailed"): failure("GateFailed", "retrain", "r", 0, "gate failed", "GateFailed"),
        ("retrain", "RunFailed"): failure("RunFailed", "retrain", "r", 0, "pointers missing", "PointersMissing"),
        ("retrain", "ModelRegistered"): registered("r", 0),
        ("deploy", "DeploymentStarted"): event("DeploymentStarted", "deploy", "d", 0, version="r", target="sagemaker-endpoint"),
        ("deploy", "DeploymentSucceeded"): event("DeploymentSucceeded", "deploy", "d", 0, version="r", target="sagemaker-endpoint"),
        ("deploy", "DeploymentFailed"): failure("DeploymentFailed", "deploy", "d", 0, "deployment in progress",
                                                "DeploymentInProgress", running_execution="arn"),
        ("deploy", "DeploymentTimedOut"): failure("DeploymentTimedOut", "deploy", "d", 0, "timed out", "DeploymentTimedOut"),
        ("deploy", "DeploymentRolledBack"): failure("DeploymentRolledBack", "deploy", "d", 0, "rolled back", "DeploymentRolledBack"),
        ("batch", "StageSucceeded"): event("StageSucceeded", "batch", "b", 0, stage="batch"),
        ("retrain", "DriftDetected"): drift_detected("r", 0),
    }
    for key, built_event in built.items():
        assert set(built_event["detail"]) == golden[key], key
    assert {kind for _, kind in golden} <= items.HANDLED


# --------------------------------------------------------------------------- each event

def test_a_retrain_run_from_start_to_registration(dynamodb):
    run_id = "commit-0123456789ab-fedcba987654"
    put_version(dynamodb, run_id)
    pointers(dynamodb, commit="0123456789ab" + "0" * 28)
    results = deliver(event("RunStarted", "retrain", run_id, 0),
                      *[event("StageSucceeded", "retrain", run_id, 10 + i, stage=s)
                        for i, s in enumerate(["transform", "tune", "train", "evaluate"])])
    assert all(r["applied"] and not r["skipped"] for r in results)
    assert run("retrain", run_id)["status"] == "running"
    deliver(registered(run_id, 30))
    found = run("retrain", run_id)
    assert found["status"] == "succeeded" and found["version"] == run_id and found["approval"] == "pending"
    assert found["started_at"] == "2024-05-01T10:00:00Z" and found["finished_at"] == "2024-05-01T10:00:30Z"
    assert list(found["stages"]) == ["evaluate", "train", "transform", "tune"]
    assert found["stages"]["train"] == {"status": "succeeded", "at": "2024-05-01T10:00:12Z"}
    version = get(dynamodb, items.version_sk("default", run_id))
    assert version["code_commit"] == "0123456789ab" + "0" * 28  # the pointers' full sha: same prefix
    assert version["approval"] == "pending" and "approved_by" not in version


def test_automatic_approval_is_recorded_and_a_scheduled_run_has_no_commit(dynamodb):
    put_version(dynamodb, "sched-1", approval="approved")
    deliver(registered("sched-1", 5, approval="approved"))
    version = get(dynamodb, items.version_sk("default", "sched-1"))
    assert version["approved_by"] == "register.approval: automatic"
    assert version["approved_at"] == "2024-05-01T10:00:05Z" and "code_commit" not in version


@pytest.mark.parametrize("kind,what,error,stage", [
    ("StageFailed", "train failed", "TrainFailed", "train"),
    ("GateFailed", "gate failed", "GateFailed", None),
    ("RunFailed", "registration failed", "RegistrationFailed", None),
])
def test_retrain_failures_end_the_run(dynamodb, kind, what, error, stage):
    extra = {"stage": stage} if stage else {}
    deliver(event("RunStarted", "retrain", "r1", 0), failure(kind, "retrain", "r1", 9, what, error, **extra))
    found = run("retrain", "r1")
    assert (found["status"], found["error"], found["what"]) == ("failed", error, what)
    assert found["finished_at"] == "2024-05-01T10:00:09Z"
    if stage:
        assert found["failed_stage"] == stage
        assert found["stages"][stage] == {"status": "failed", "at": "2024-05-01T10:00:09Z", "error": error}
    assert not [key for key in table_state(dynamodb) if key[1].startswith("VERSION#")]


def test_batch_ends_with_its_stage(dynamodb):
    deliver(event("RunStarted", "batch", "b1", 0), event("StageSucceeded", "batch", "b1", 50, stage="batch"))
    found = run("batch", "b1")
    assert found["status"] == "succeeded" and found["stages"]["batch"]["status"] == "succeeded"
    deliver(event("RunStarted", "batch", "b2", 60), failure("StageFailed", "batch", "b2", 70, "batch failed",
                                                            "BatchFailed", stage="batch"))
    assert run("batch", "b2")["status"] == "failed"


def test_a_drift_started_retrain_records_the_alarm_and_the_live_version(dynamodb):
    """DriftDetected comes before RunStarted; delivered in either order, the run is running with
    the alarm and the version that served, and registration ends it as usual."""
    for first, second in ((drift_detected("r1", 0), event("RunStarted", "retrain", "r1", 1)),
                          (event("RunStarted", "retrain", "r2", 1), drift_detected("r2", 0))):
        run_id = first["detail"]["run_id"]
        deliver(first, second)
        found = run("retrain", run_id)
        assert (found["status"], found["drift_alarm"], found["live_version"]) == (
            "running", f"{MODEL}-default-drift-lag_7", "v1")
        assert found["started_at"] == "2024-05-01T10:00:01Z"
        put_version(dynamodb, run_id)
        deliver(registered(run_id, 30), drift_detected(run_id, 0, live_version="other"))  # late and redelivered
        found = run("retrain", run_id)
        assert (found["status"], found["live_version"]) == ("succeeded", "v1")


def test_a_drift_run_ends_with_drift_checked(dynamodb):
    deliver(event("RunStarted", "drift", "h1", 0), event("StageSucceeded", "drift", "h1", 5, stage="drift"))
    assert run("drift", "h1")["status"] == "running"
    deliver(event("DriftChecked", "drift", "h1", 6, version="v1", baseline_uri="s3://b/k/"))
    found = run("drift", "h1")
    assert (found["status"], found["version"], found["stages"]["drift"]["status"]) == ("succeeded", "v1", "succeeded")


def deployment(run_id: str, version: str, start: int, end: int, outcome: str = "DeploymentSucceeded") -> list[dict]:
    events = [event("RunStarted", "deploy", run_id, start),
              event("DeploymentStarted", "deploy", run_id, min(start + 1, end), version=version, target="sagemaker-endpoint")]
    if outcome == "DeploymentSucceeded":
        events.append(event(outcome, "deploy", run_id, end, version=version, target="sagemaker-endpoint"))
    else:
        events.append(failure(outcome, "deploy", run_id, end, outcome, outcome))
    return events


def test_a_successful_deployment_moves_the_approved_pointer(dynamodb):
    pointers(dynamodb)
    put_version(dynamodb, "v1", approval="approved")
    deliver(*deployment("d1", "v1", 0, 40))
    found = run("deploy", "d1")
    assert (found["status"], found["outcome"], found["version"], found["target"]) == (
        "succeeded", "deployed", "v1", "sagemaker-endpoint")
    version = get(dynamodb, items.version_sk("default", "v1"))
    assert version["deployment_status"] == "deployed" and version["last_deployed_at"] == "2024-05-01T10:00:40Z"
    found_pointers = get(dynamodb, items.pointers_sk("default"))
    assert found_pointers["approved_version"] == "v1" and found_pointers["approved_model_data"] == model_data("v1")
    # apply's attributes are left alone
    assert found_pointers["commit"] == "c" * 40 and found_pointers["commit_time"] == 100


@pytest.mark.parametrize("outcome,recorded", [("DeploymentFailed", "failed"), ("DeploymentTimedOut", "timed_out"),
                                              ("DeploymentRolledBack", "rolled_back")])
def test_a_failed_deployment_keeps_the_pointer(dynamodb, outcome, recorded):
    pointers(dynamodb)
    put_version(dynamodb, "v1", approval="approved")
    put_version(dynamodb, "v2", approval="approved")
    deliver(*deployment("d1", "v1", 0, 40))
    deliver(*deployment("d2", "v2", 100, 140, outcome))
    found = run("deploy", "d2")
    assert (found["status"], found["outcome"], found["version"], found["error"]) == ("failed", recorded, "v2", outcome)
    assert get(dynamodb, items.version_sk("default", "v2"))["deployment_status"] == recorded
    assert get(dynamodb, items.pointers_sk("default"))["approved_version"] == "v1"


def test_a_deployment_refused_before_the_lock_touches_no_version(dynamodb):
    put_version(dynamodb, "v1", approval="approved")
    lock(dynamodb, "d1", "v1")  # d1 holds the lock
    deliver(event("RunStarted", "deploy", "d2", 0),
            failure("DeploymentFailed", "deploy", "d2", 1, "deployment in progress", "DeploymentInProgress",
                    running_execution="arn:...:d1"))
    found = run("deploy", "d2")
    assert found["status"] == "failed" and found["running_execution"] == "arn:...:d1" and "version" not in found
    assert "deployment_status" not in get(dynamodb, items.version_sk("default", "v1"))


def test_a_failure_delivered_before_its_start_is_applied_to_the_version(dynamodb):
    put_version(dynamodb, "v1", approval="approved")
    started, ended = deployment("d1", "v1", 0, 30, "DeploymentTimedOut")[1:]
    first = deliver(ended)[0]
    assert first["version"] is None  # not known yet: no start, no lock naming d1
    deliver(started)
    assert get(dynamodb, items.version_sk("default", "v1"))["deployment_status"] == "timed_out"
    assert run("deploy", "d1")["outcome"] == "timed_out"


def test_the_lock_names_the_version_when_the_start_is_late(dynamodb):
    put_version(dynamodb, "v1", approval="approved")
    lock(dynamodb, "d1", "v1", status="failed")
    deliver(failure("DeploymentFailed", "deploy", "d1", 30, "deployment failed", "DeploymentFailed"))
    assert get(dynamodb, items.version_sk("default", "v1"))["deployment_status"] == "failed"


def test_events_it_cannot_use(dynamodb):
    approved = event("ModelApproved", "registry", "cli", 0, version="v1", approval="approved")
    assert deliver(approved)[0]["ignored"] == "ModelApproved"
    broken = event("RunStarted", "retrain", "r1", 0)
    broken["source"] = "mlops.other-model"
    assert "source" in deliver(broken)[0]["dropped"]
    no_stage = event("StageSucceeded", "retrain", "r1", 0)
    assert "stage" in deliver(no_stage)[0]["dropped"]
    bad_key = event("RunStarted", "retrain", "r#1", 0)
    assert "run_id" in deliver(bad_key)[0]["dropped"]
    assert table_state(dynamodb) == {}


def test_an_aws_error_raises_so_lambda_retries(dynamodb):
    dynamodb.delete_table(TableName=TABLE)
    with pytest.raises(Exception) as raised:
        deliver(event("RunStarted", "retrain", "r1", 0))
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


# --------------------------------------------------------------------------- redelivery

def every_event_kind() -> list[dict]:
    return [event("RunStarted", "retrain", "commit-0123456789ab-00", 0),
            event("StageSucceeded", "retrain", "commit-0123456789ab-00", 1, stage="train"),
            registered("commit-0123456789ab-00", 2, approval="approved"),
            event("RunStarted", "retrain", "r2", 3),
            failure("StageFailed", "retrain", "r2", 4, "train failed", "TrainFailed", stage="train"),
            failure("GateFailed", "retrain", "r3", 5, "gate failed", "GateFailed"),
            failure("RunFailed", "retrain", "r4", 6, "pointers missing", "PointersMissing"),
            *deployment("d1", "commit-0123456789ab-00", 10, 20),
            *deployment("d2", "commit-0123456789ab-00", 30, 40, "DeploymentFailed"),
            *deployment("d3", "commit-0123456789ab-00", 50, 60, "DeploymentTimedOut"),
            *deployment("d4", "commit-0123456789ab-00", 70, 80, "DeploymentRolledBack"),
            event("StageSucceeded", "batch", "b1", 90, stage="batch"),
            drift_detected("r5", 91), event("DriftChecked", "drift", "h1", 92, version="v1", baseline_uri="s3://b/k/")]


def test_a_redelivered_event_changes_nothing(dynamodb):
    pointers(dynamodb)
    put_version(dynamodb, "commit-0123456789ab-00", approval="approved")
    for delivered in every_event_kind():
        deliver(delivered)
        before = table_state(dynamodb)
        again = deliver(delivered)[0]
        assert table_state(dynamodb) == before, delivered["detail-type"]
        # each write is skipped by its condition, or rewrites the same value (if_not_exists)
        assert again["applied"] == [] or delivered["detail-type"] in ("ModelRegistered",), again


# --------------------------------------------------------------------------- out of order

def final_state(dynamodb, events) -> dict:
    clear(dynamodb)
    pointers(dynamodb)
    for version in ("v1", "v2"):
        put_version(dynamodb, version, approval="approved")
    deliver(*events)
    return table_state(dynamodb)


@pytest.mark.parametrize("label,events", [
    ("retrain", [event("RunStarted", "retrain", "r1", 0), event("StageSucceeded", "retrain", "r1", 5, stage="train"),
                 event("StageSucceeded", "retrain", "r1", 6, stage="evaluate"),
                 failure("GateFailed", "retrain", "r1", 7, "gate failed", "GateFailed")]),
    ("two deployments", deployment("d1", "v1", 0, 10)[1:] + deployment("d2", "v2", 20, 30)[1:]),
    ("a success then a rollback", deployment("d1", "v1", 0, 10)[1:] + deployment("d2", "v2", 20, 30, "DeploymentRolledBack")[1:]),
    ("same second", deployment("d1", "v1", 0, 0)[1:] + deployment("d2", "v2", 0, 0)[1:]),
])
def test_every_delivery_order_ends_in_the_same_state(dynamodb, label, events):
    expected = final_state(dynamodb, events)
    for order in itertools.permutations(events):
        assert final_state(dynamodb, list(order)) == expected, [e["detail-type"] for e in order]


def test_a_late_stage_does_not_reopen_a_failed_run(dynamodb):
    deliver(event("RunStarted", "retrain", "r1", 0), failure("RunFailed", "retrain", "r1", 9, "x", "RegistrationFailed"),
            event("StageSucceeded", "retrain", "r1", 8, stage="evaluate"))
    found = run("retrain", "r1")
    assert found["status"] == "failed" and found["stages"]["evaluate"]["status"] == "succeeded"


def test_the_pointer_follows_the_later_deployment_whatever_the_order(dynamodb):
    state = final_state(dynamodb, [deployment("d2", "v2", 20, 30)[2], deployment("d1", "v1", 0, 10)[2]])
    assert state[(f"MODEL#{MODEL}", "POINTERS#default")]["approved_version"] == "v2"
    assert state[(f"MODEL#{MODEL}", "VERSION#default#v1")]["deployment_status"] == "deployed"


# --------------------------------------------------------------------------- concurrent writers
#
# DynamoDB applies each UpdateItem atomically, condition included, so concurrent invocations lose
# nothing as long as every write is one conditional UpdateItem of the attributes its event owns,
# never a read-modify-write. moto's DynamoDB is not atomic across threads (a threaded version of
# this test lost stage updates in moto, not in the handler), so the tests check that shape of every
# write, and the delivery-order tests above check what the conditions decide.

def recorded_calls(events: list[dict]) -> list[tuple[str, dict]]:
    handler._dynamodb()  # the handler's client, to watch its calls
    calls = []
    handler._CLIENT.meta.events.register("before-parameter-build.dynamodb",
                                         lambda model, params, **_: calls.append((model.name, params)))
    for delivered in events:
        handler.handler(delivered, None)
    return calls


def test_every_write_is_one_conditional_update_and_duplicates_converge(dynamodb):
    pointers(dynamodb)
    for version in ("v1", "v2"):
        put_version(dynamodb, version, approval="approved")
    stages = [event("StageSucceeded", "retrain", "r1", 1 + i, stage=s) for i, s in enumerate(("a", "b"))]
    delivered = ([event("RunStarted", "retrain", "r1", 0)] + stages
                 + deployment("d1", "v1", 100, 150) + deployment("d2", "v2", 200, 250))
    calls = recorded_calls(delivered + delivered)  # every event twice
    writes = [(name, params) for name, params in calls if name not in ("GetItem", "Query")]
    assert writes and {name for name, _ in writes} == {"UpdateItem"}
    assert all(params.get("ConditionExpression") for _, params in writes), \
        [params["UpdateExpression"] for _, params in writes if not params.get("ConditionExpression")]
    assert get(dynamodb, items.pointers_sk("default"))["approved_version"] == "v2"
    assert get(dynamodb, items.pointers_sk("default"))["approved_model_data"] == model_data("v2")
    assert sorted(run("retrain", "r1")["stages"]) == ["a", "b"]
