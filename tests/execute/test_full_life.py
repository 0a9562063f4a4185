"""One model's whole life in one account (issue 6): samples/demand-forecast (SageMaker endpoint,
`register.approval: manual`) applied, retrained, approved, deployed, retrained and deployed again,
rolled back and deployed back, with the registry checked after every step.

Everything runs in this process on moto, with the harness of sfn_harness.py (SageMaker jobs and
endpoints, instant waits). The parts of the platform outside mlopsc are wired as the bootstrap
template wires them:

- the registry's Lambda function: the platform rule `{"source": [{"prefix": "mlops."}]}` on the
  bus, here with an SQS queue as its target; each event EventBridge put there is handed to
  `compiler.registry.handler.handler` as Lambda would, in the order it was published;
- the `<model>-<env>-deploy-approved` rule `mlopsc apply` created starts the deploy pipeline
  itself, with its own pattern and InputTransformer (`start_state_machines_from_rules`: moto's
  EventBridge cannot target a state machine).

The handler orders a version's deployment state and the approved pointer by the event time
(whole seconds, as EventBridge gives it) before the random event id, so the steps that follow one
another in AWS minutes apart are kept at least a second apart here (`_next_second`): on the event
clock that stamps the events and the registry library's decisions (sfn_harness.Clock), moved
forward at once instead of slept through.
"""

from __future__ import annotations

import json

import pytest

from compiler.registry import handler, store
from compile_helpers import invoke
from paths import REPO_ROOT
from sfn_harness import applied, execute, item, next_second, published, start_state_machines_from_rules, wait_for

pytestmark = pytest.mark.e2e  # whole route on moto: compile, apply, registry, executions

SAMPLES = REPO_ROOT / "samples"
MODEL, ENV, TABLE = "demand-forecast", "default", "mlops-registry"
RETRAIN, DEPLOY = f"{MODEL}-{ENV}-retrain", f"{MODEL}-{ENV}-deploy"
ARTIFACTS = f"s3://acme-ml-artifacts/{MODEL}/{ENV}/retrain"


class Life:
    def __init__(self, account, monkeypatch):
        self.account = account
        self.sfn = account.sfn
        self.dynamodb = account.session.client("dynamodb")
        self.sqs = account.session.client("sqs")
        self.started = start_state_machines_from_rules(monkeypatch)
        monkeypatch.setenv(handler.TABLE_VARIABLE, TABLE)
        monkeypatch.setattr(handler, "_CLIENT", None)
        # The registry's rule (compiler/bootstrap/platform.py: RegistryEventsRule), to a queue.
        self.queue = self.sqs.create_queue(QueueName="registry-handler")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        events = account.session.client("events")
        events.put_rule(Name="mlops-registry", EventBusName="mlops", State="ENABLED",
                        EventPattern=json.dumps({"source": [{"prefix": "mlops."}]}))
        events.put_targets(Rule="mlops-registry", EventBusName="mlops", Targets=[{"Id": "registry", "Arn": queue_arn}])
        self.delivered: list[dict] = []

    def deliver(self) -> list[dict]:
        """Every event published since the last call, handed to the registry's handler in order."""
        events = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        for event in events:
            assert {"id", "source", "detail-type", "time", "detail"} <= set(event), event
            done = handler.handler(event, None)
            assert "dropped" not in done, (event, done)
            event["handled"] = done
        self.delivered += events
        return events

    def get(self, sk: str) -> dict:
        return item(self.account.session, (f"MODEL#{MODEL}", sk))

    def version(self, version: str) -> dict:
        return self.get(f"VERSION#{ENV}#{version}")

    def run(self, pipeline: str, run_id: str) -> dict:
        return self.get(f"RUN#{ENV}#{pipeline}#{run_id}")

    def pointers(self) -> dict:
        return self.get(f"POINTERS#{ENV}")

    def lock(self) -> dict:
        return self.get(f"DEPLOYMENT#{ENV}")

    def retrain(self, run_id: str, metrics: dict):
        _next_second()
        self.account.harness.stages.metrics = metrics
        run = execute(self.sfn, RETRAIN, run_id)
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        return run, self.deliver()

    def deploy_started_by_rule(self):
        """The deploy execution the approved event started (through the deploy-approved rule)."""
        assert len(self.started) >= 1
        started = self.started[-1]
        run = wait_for(self.sfn, started["arn"])
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        return started, run, self.deliver()


def _next_second() -> None:
    """The event clock's next whole second, at once (sfn_harness.next_second)."""
    next_second()


def cli(*args: str):
    result = invoke("registry", *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def life(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [SAMPLES / MODEL], ENV) as account:
        yield Life(account, monkeypatch)


def test_a_model_from_apply_to_rollback(life):
    out = str(life.account.out)
    applied_pointers = life.pointers()
    assert applied_pointers["commit"] == "a" * 40 and set(applied_pointers["images"]) == {"prep", "xgb", "serve"}
    assert "approved_version" not in applied_pointers

    # --- 1. retrain: registered, pending (register.approval: manual); the rule starts no deployment.
    first, events = life.retrain("retrain-1", {"rmse": 10.2, "mape": 0.11})
    assert [e["detail-type"] for e in events] == ["RunStarted"] + ["StageSucceeded"] * 5 + ["ModelRegistered"]
    assert all(e["source"] == f"mlops.{MODEL}" and e["detail"]["execution"] == first.arn for e in events)
    run = life.run("retrain", "retrain-1")
    assert (run["status"], run["approval"], run["version"], run["last_event"]) == (
        "succeeded", "pending", "retrain-1", "ModelRegistered")
    assert {k: v["status"] for k, v in run.items() if k.startswith("stage_")} == {
        f"stage_{s}": "succeeded" for s in ("transform", "tune", "train", "baseline", "evaluate")}
    version = life.version("retrain-1")
    assert (version["approval"], version["execution"]) == ("pending", first.arn)
    assert json.loads(version["metrics"]) == {"rmse": 10.2, "mape": 0.11}
    assert version["model_data"].startswith(f"{ARTIFACTS}/retrain-1/train/")
    assert version["images"] == life.pointers()["images"]
    # What `registry compare` and `registry lineage` read: the config's and the tuned
    # hyper-parameters, the gate it passed, the config fingerprint apply wrote, how it started.
    assert json.loads(version["hyperparameters"]) == {"num_round": "200", "objective": "reg:squarederror"}
    assert json.loads(version["tuned_hyperparameters"]) == {"eta": "0.1", "max_depth": "6", "booster": "gbtree"}
    assert json.loads(version["gate"]) == [{"metric": "rmse", "comparison": "below", "threshold": 12.5},
                                           {"metric": "mape", "comparison": "at_most", "threshold": 0.18}]
    assert version["config_fingerprint"] == applied_pointers["fingerprint"]
    assert version["lineage"] == {"trigger": "manual"}  # started without input: by hand
    assert "deployment_status" not in version and "approved_version" not in life.pointers()
    assert life.lock() == {} and life.started == []

    # --- 2. approve (the CLI): approved, ModelApproved, and the deploy-approved rule starts the deploy.
    _next_second()
    cli("approve", out, "retrain-1", "--env", ENV, "--reason", "first model")
    assert life.version("retrain-1")["approval"] == "approved"
    assert [s["input"] for s in life.started] == [{"trigger": "approval", "version": "retrain-1"}]
    assert life.started[0]["rule"] == f"{DEPLOY}-approved"
    started, deploy_1, events = life.deploy_started_by_rule()
    assert [e["detail-type"] for e in events] == ["ModelApproved", "RunStarted", "DeploymentStarted",
                                                  "DeploymentSucceeded"]
    assert events[0]["handled"]["ignored"] == "ModelApproved"
    assert "Create endpoint" in deploy_1.entered()
    _assert_deployed(life, "retrain-1", deploy_1.arn)
    endpoint = life.account.session.client("sagemaker").describe_endpoint(EndpointName=f"{MODEL}-{ENV}")
    assert endpoint["EndpointConfigName"] == deploy_1.output["deployment"]["endpoint_config"]

    # --- 3. a second retrain, approved (the library this time) and deployed: the endpoint is updated.
    second, _ = life.retrain("retrain-2", {"rmse": 9.7, "mape": 0.10})
    assert life.version("retrain-2")["approval"] == "pending"
    assert life.pointers()["approved_version"] == "retrain-1"  # a pending version changes nothing
    _next_second()
    registry = store.EnvironmentRegistry.connect(store.locate_one(life.account.out, ENV, MODEL))
    registry.approve("retrain-2")
    assert life.started[-1]["input"] == {"trigger": "approval", "version": "retrain-2"}
    _, deploy_2, events = life.deploy_started_by_rule()
    assert "Update endpoint" in deploy_2.entered()
    _assert_deployed(life, "retrain-2", deploy_2.arn)
    assert life.version("retrain-1")["deployment_status"] == "deployed"  # its own deployment, as it ended
    assert registry.pointers()["approved_version"] == "retrain-2"

    # --- 4. roll back (the CLI): the version deployed before, without retraining.
    _next_second()
    rolled = json.loads(cli("rollback", out, "--env", ENV, "--format", "json").output)
    assert (rolled["version"], rolled["action"], rolled["rollback_from"]) == ("retrain-1", "rollback", "retrain-2")
    assert life.started[-1]["input"] == {"trigger": "approval", "version": "retrain-1"}
    assert len(life.started) == 3
    _, deploy_3, events = life.deploy_started_by_rule()
    assert [e["detail-type"] for e in events] == ["ModelApproved", "RunStarted", "DeploymentStarted",
                                                  "DeploymentSucceeded"]
    _assert_deployed(life, "retrain-1", deploy_3.arn)
    assert life.version("retrain-2")["approval"] == "approved"  # rolled back from, still approved
    assert life.version("retrain-2")["deployment_status"] == "deployed"
    model = life.account.session.client("sagemaker").describe_model(ModelName=deploy_3.output["deployment"]["model"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == life.version("retrain-1")["model_data"]

    # --- 5. the history: three deployments, newest first, and the registry as people see it.
    history = json.loads(cli("history", out, "--env", ENV, "--format", "json").output)
    assert history["deployed_version"] == "retrain-1"
    assert history["lock"]["status"] == "deployed" and history["lock"]["version"] == "retrain-1"
    assert [(d["run_id"], d["version"], d["outcome"]) for d in history["deployments"]] == [
        (deploy_3.name, "retrain-1", "deployed"), (deploy_2.name, "retrain-2", "deployed"),
        (deploy_1.name, "retrain-1", "deployed")]
    [listed] = json.loads(cli("list", out, "--env", ENV, "--format", "json").output)
    assert listed["deployed_version"] == "retrain-1"
    assert [v["version"] for v in listed["versions"]] == ["retrain-2", "retrain-1"]  # newest first
    assert json.loads(cli("show", out, "retrain-1", "--env", ENV, "--format", "json").output)[
        "reason"] == "first model"
    listed = {v["version"]: v for v in listed["versions"]}
    assert {v: (listed[v]["approval"], listed[v]["deployment_status"]) for v in listed} == {
        "retrain-1": ("approved", "deployed"), "retrain-2": ("approved", "deployed")}
    retrains = [r for r in registry.runs("retrain")]
    assert sorted((r["run_id"], r["status"]) for r in retrains) == [("retrain-1", "succeeded"),
                                                                   ("retrain-2", "succeeded")]
    assert published(life.account.topic) == []  # nothing failed, nobody was paged
    # Redelivering every event (EventBridge delivers at least once) changes nothing.
    before = _table(life)
    for event in life.delivered:
        handler.handler({k: v for k, v in event.items() if k != "handled"}, None)
    assert _table(life) == before


def _assert_deployed(life, version: str, execution: str) -> None:
    lock = life.lock()
    assert (lock["status"], lock["version"], lock["execution"]) == ("deployed", version, execution)
    pointers = life.pointers()
    assert (pointers["approved_version"], pointers["approved_execution"]) == (version, execution)
    assert pointers["approved_model_data"] == life.version(version)["model_data"]
    found = life.version(version)
    assert (found["approval"], found["deployment_status"], found["deployment_execution"]) == (
        "approved", "deployed", execution)
    assert found["last_deployed_at"]
    run = life.run("deploy", execution.rsplit(":", 1)[-1])
    assert (run["status"], run["version"], run["outcome"]) == ("succeeded", version, "deployed"), run


def _table(life) -> dict:
    scanned = life.dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in scanned}
