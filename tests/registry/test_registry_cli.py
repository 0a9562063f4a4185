"""`mlopsc registry list|show|history|approve|reject|promote|rollback` against a moto server.

The registry is filled the way it is in AWS: version items as the retrain pipeline writes them,
the rest by the Lambda handler from the pipelines' events (registry_events.py). The events the
commands publish are caught by the compiled `<model>-<env>-deploy-approved` rule itself (its
pattern from triggers.json, with an SQS queue as target instead of the state machine), so a test
passes only if the deploy pipeline would start.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from compiler import api
from compiler.artifacts import write
from compiler.errors import Refused
from compiler.registry import handler, items, store
from compile_helpers import SAMPLES_PLATFORM, invoke
from moto_aws import aws, create_platform, moto_server, use_account  # noqa: F401 - fixtures
from paths import REPO_ROOT
from registry_events import (MODEL, TABLE, event, failure, get, model_data, pointers, put_version, registered)

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """demand-forecast with two environments in one account (dev, staging)."""
    root = tmp_path_factory.mktemp("registry-cli")
    repository = root / MODEL
    shutil.copytree(SAMPLES / MODEL, repository)
    config = repository / "mlops.yaml"
    config.write_text(config.read_text() + "\nenvironments:\n  dev: {}\n  staging: {}\n")
    result = api.compile_outputs([str(repository)], str(SAMPLES_PLATFORM), None)
    assert result.validation.ok, result.validation.problems
    write.write(root / "out", result.outputs)
    return root / "out"


@pytest.fixture
def account(aws, out, monkeypatch):
    create_platform(aws, out)
    monkeypatch.setattr(handler, "_CLIENT", None)
    return aws


def cli(*args):
    result = invoke("registry", *args)
    assert "Traceback" not in result.output + (result.stderr or ""), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def deliver(session, *events) -> None:
    registry = handler.EventRecorder(session.client("dynamodb"), TABLE)
    for delivered in events:
        registry.consume(delivered)


def retrained(session, run_id: str, environment: str = "dev", approval: str = "pending") -> None:
    put_version(session.client("dynamodb"), run_id, approval=approval, environment=environment)
    deliver(session, event("RunStarted", "retrain", run_id, 0, environment=environment),
            registered(run_id, 30, approval=approval, environment=environment))


def deployed(session, run_id: str, version: str, second: int, environment: str = "dev",
             outcome: str = "DeploymentSucceeded") -> None:
    events = [event("RunStarted", "deploy", run_id, second, environment=environment),
              event("DeploymentStarted", "deploy", run_id, second + 1, environment=environment, version=version,
                    target="sagemaker-endpoint")]
    if outcome == "DeploymentSucceeded":
        events.append(event(outcome, "deploy", run_id, second + 9, environment=environment, version=version,
                            target="sagemaker-endpoint"))
    else:
        events.append(failure(outcome, "deploy", run_id, second + 9, outcome, outcome, environment=environment))
    deliver(session, *events)


class DeployRule:
    """The compiled deploy-approved rule of an environment, targeting an SQS queue."""

    def __init__(self, session, out: Path, environment: str):
        triggers = json.loads((out / MODEL / environment / "triggers.json").read_text())
        rule = next(r for r in triggers["rules"] if r["Name"].endswith("-deploy-approved"))
        self.sqs = session.client("sqs")
        self.url = self.sqs.create_queue(QueueName=f"deploy-{environment}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = session.client("events")
        events.put_rule(Name=rule["Name"], EventBusName=rule["EventBusName"], EventPattern=rule["EventPattern"])
        events.put_targets(Rule=rule["Name"], EventBusName=rule["EventBusName"], Targets=[{"Id": "q", "Arn": arn}])
        self.transformer = rule["Targets"][0]["InputTransformer"]

    def received(self) -> list[dict]:
        found = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def inputs(self) -> list[dict]:
        """The deploy pipeline's inputs the rule's input transformer makes of the matched events."""
        template = self.transformer["InputTemplate"]
        return [json.loads(template.replace("<version>", json.dumps(e["detail"]["version"]))) for e in self.received()]


# --------------------------------------------------------------------------- approve

def test_approve_starts_the_deploy_pipeline_through_its_rule(account, out):
    rule = DeployRule(account, out, "dev")
    retrained(account, "v1")
    done = cli("approve", str(out), "v1", "--env", "dev", "--reason", "beats baseline")
    assert done.exit_code == 0, done.output + done.stderr
    assert "approved v1" in done.output
    version = get(account.client("dynamodb"), items.version_sk("dev", "v1"))
    assert version["approval"] == "approved" and version["reason"] == "beats baseline"
    assert version["approved_by"].startswith("arn:aws:sts::111111111111:assumed-role/tests/")
    assert version["approved_at"].endswith("Z")
    assert rule.inputs() == [{"trigger": "approval", "version": "v1"}]


def test_approve_only_once_and_only_what_exists(account, out):
    rule = DeployRule(account, out, "dev")
    retrained(account, "v1")
    assert cli("approve", str(out), "v1", "--env", "dev").exit_code == 0
    again = cli("approve", str(out), "v1", "--env", "dev")
    assert again.exit_code == 1
    assert "version 'v1' is approved (by arn:aws:sts::" in again.stderr and "not pending" in again.stderr
    assert "hint: to deploy it again: mlopsc registry rollback" in again.stderr
    unknown = cli("approve", str(out), "v9", "--env", "dev")
    assert unknown.exit_code == 1 and "no version 'v9'" in unknown.stderr and "latest versions: v1" in unknown.stderr
    assert len(rule.received()) == 1  # neither refusal sent an event


def test_two_people_approving_at_once_one_wins(account, out):
    retrained(account, "v1")
    place = store.locate_one(out, "dev", None)
    registries = [store.EnvironmentRegistry.connect(place) for _ in range(6)]
    barrier, results = threading.Barrier(len(registries)), []

    def approve(registry):
        barrier.wait()
        try:
            registry.approve("v1")
            results.append("approved")
        except Refused as error:
            results.append(str(error))

    threads = [threading.Thread(target=approve, args=(r,)) for r in registries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("approved") == 1, results
    assert all("is approved" in r for r in results if r != "approved")


# --------------------------------------------------------------------------- reading

def test_list_show_and_history(account, out):
    retrained(account, "v1")
    retrained(account, "v2")
    pointers(account.client("dynamodb"), environment="dev")
    for version in ("v1", "v2"):
        assert cli("approve", str(out), version, "--env", "dev").exit_code == 0
    deployed(account, "d1", "v1", 100)
    deployed(account, "d2", "v2", 200, outcome="DeploymentRolledBack")

    listed = cli("list", str(out), "--env", "dev")
    assert listed.exit_code == 0, listed.stderr
    lines = listed.output.splitlines()
    assert lines[0] == "demand-forecast (dev): deployed version v1"
    assert lines[1].split() == ["VERSION", "APPROVAL", "REGISTERED", "DEPLOYMENT", "METRICS"]
    rows = {line.split()[1] if line.startswith("  *") else line.split()[0]: line for line in lines[2:]}
    assert rows["v1"].startswith("  *  v1 ") and "deployed" in rows["v1"] and "mape=0.08 rmse=0.12" in rows["v1"]
    assert "rolled_back" in rows["v2"]
    headers = lines[1]
    assert all(line.index(" approved") == headers.index(" APPROVAL") for line in lines[2:])  # aligned columns

    as_json = json.loads(cli("list", str(out), "--env", "dev", "--format", "json").output)
    assert as_json[0]["deployed_version"] == "v1"
    assert {v["version"]: v["metrics"] for v in as_json[0]["versions"]}["v1"] == {"rmse": 0.12, "mape": 0.08}

    shown = cli("show", str(out), "v1", "--env", "dev")
    assert shown.exit_code == 0
    assert shown.output.startswith("demand-forecast (dev) version v1  [deployed]\n")
    assert f"model data:    {model_data('v1')}" in shown.output
    assert "rmse    0.12" in shown.output and "xgb" in shown.output
    assert "d1   v1       deployed" in shown.output
    shown_json = json.loads(cli("show", str(out), "v2", "--env", "dev", "--format", "json").output)
    assert shown_json["deployment_status"] == "rolled_back" and shown_json["deployed"] is False
    assert [d["run_id"] for d in shown_json["deployments"]] == ["d2"]

    history = cli("history", str(out), "--env", "dev", "--format", "json")
    found = json.loads(history.output)
    assert [(d["run_id"], d["version"], d["outcome"]) for d in found["deployments"]] == [
        ("d2", "v2", "rolled_back"), ("d1", "v1", "deployed")]
    text = cli("history", str(out), "--env", "dev").output
    assert text.splitlines()[0] == "demand-forecast (dev): deployed version v1; last deployment -"


# --------------------------------------------------------------------------- reject, promote, rollback

def test_reject(account, out):
    retrained(account, "v1")
    retrained(account, "v2")
    pointers(account.client("dynamodb"), environment="dev")
    done = cli("reject", str(out), "v1", "--env", "dev", "--reason", "data leak")
    assert done.exit_code == 0 and get(account.client("dynamodb"), items.version_sk("dev", "v1"))["approval"] == "rejected"
    assert cli("approve", str(out), "v1", "--env", "dev").exit_code == 1
    cli("approve", str(out), "v2", "--env", "dev")
    deployed(account, "d1", "v2", 100)
    serving = cli("reject", str(out), "v2", "--env", "dev")
    assert serving.exit_code == 1 and "is the one deployed" in serving.stderr and "rollback" in serving.stderr


def test_promote_copies_a_deployed_version_approved(account, out):
    staging = DeployRule(account, out, "staging")
    retrained(account, "v1")
    pointers(account.client("dynamodb"), environment="dev")
    cli("approve", str(out), "v1", "--env", "dev")
    early = cli("promote", str(out), "v1", "--from", "dev", "--env", "staging")
    assert early.exit_code == 1 and "never deployed successfully there" in early.stderr
    deployed(account, "d1", "v1", 100)
    done = cli("promote", str(out), "v1", "--from", "dev", "--env", "staging")
    assert done.exit_code == 0, done.stderr
    copied = get(account.client("dynamodb"), items.version_sk("staging", "v1"))
    source = get(account.client("dynamodb"), items.version_sk("dev", "v1"))
    assert copied["approval"] == "approved" and copied["promoted_from"] == "dev" and copied["environment"] == "staging"
    assert {k: copied[k] for k in ("model_data", "images", "metrics", "data_source", "execution")} == \
           {k: source[k] for k in ("model_data", "images", "metrics", "data_source", "execution")}
    assert "deployment_status" not in copied and "last_deployed_at" not in copied
    assert staging.inputs() == [{"trigger": "approval", "version": "v1"}]
    twice = cli("promote", str(out), "v1", "--from", "dev", "--env", "staging")
    assert twice.exit_code == 1 and "already here (approved)" in twice.stderr


def test_rollback_deploys_the_version_before_the_current_one(account, out):
    rule = DeployRule(account, out, "dev")
    nothing = cli("rollback", str(out), "--env", "dev")
    assert nothing.exit_code == 1 and "nothing is deployed yet" in nothing.stderr
    pointers(account.client("dynamodb"), environment="dev")
    for version, run, second in (("v1", "d1", 100), ("v2", "d2", 200), ("v3", "d3", 300)):
        retrained(account, version, approval="approved")
        deployed(account, run, version, second)
    deployed(account, "d4", "v2", 400, outcome="DeploymentFailed")  # a failed attempt is no candidate
    assert get(account.client("dynamodb"), items.pointers_sk("dev"))["approved_version"] == "v3"
    done = cli("rollback", str(out), "--env", "dev", "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.output)["version"] == "v2" and json.loads(done.output)["rollback_from"] == "v3"
    assert rule.inputs() == [{"trigger": "approval", "version": "v2"}]
    # Once v2 serves again, the previous is v3 (the latest deployed other than the current)...
    deployed(account, "d5", "v2", 500)
    cli("reject", str(out), "v3", "--env", "dev")  # ...unless it was rejected since
    assert "rolling back to v1 (from v2)" in cli("rollback", str(out), "--env", "dev").output
    explicit = cli("rollback", str(out), "--env", "dev", "--to", "v3")
    assert explicit.exit_code == 1 and "is rejected, not approved" in explicit.stderr


def test_no_rollback_while_a_deployment_runs(account, out):
    pointers(account.client("dynamodb"), environment="dev")
    for version, run, second in (("v1", "d1", 100), ("v2", "d2", 200)):
        retrained(account, version, approval="approved")
        deployed(account, run, version, second)
    from registry_events import lock
    lock(account.client("dynamodb"), "d3", "v1", environment="dev")
    running = cli("rollback", str(out), "--env", "dev")
    assert running.exit_code == 1 and "a deployment is running" in running.stderr


# --------------------------------------------------------------------------- errors

def test_usage_errors_exit_2(account, out, tmp_path):
    missing = cli("list", str(tmp_path / "nowhere"), "--env", "dev")
    assert missing.exit_code == 2 and "no such directory" in missing.stderr
    unknown_env = cli("list", str(out), "--env", "prod")
    assert unknown_env.exit_code == 2 and "no model has an environment 'prod'" in unknown_env.stderr
    unknown_model = cli("show", str(out), "v1", "--env", "dev", "--model", "other")
    assert unknown_model.exit_code == 2 and "no model 'other'" in unknown_model.stderr
    same = cli("promote", str(out), "v1", "--from", "dev", "--env", "dev")
    assert same.exit_code == 2


def test_aws_problems_exit_1_with_a_hint(account, out, monkeypatch):
    account.client("dynamodb").delete_table(TableName=TABLE)
    no_table = cli("list", str(out), "--env", "dev")
    assert no_table.exit_code == 1
    assert "the registry table mlops-registry does not exist" in no_table.stderr
    assert "hint: create the platform first" in no_table.stderr
    use_account("222222222222", monkeypatch)
    other = cli("approve", str(out), "v1", "--env", "dev")
    assert other.exit_code == 1 and "credentials are of account 222222222222" in other.stderr


def test_the_installed_command_lists_its_subcommands():
    from compile_helpers import run_cli

    done = run_cli("registry", "--help")
    assert done.returncode == 0
    for command in ("list", "show", "history", "approve", "reject", "promote", "rollback"):
        assert f"  {command} " in done.stdout
