"""`mlopsc apply` against a moto server in its own process (see moto_aws.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler import api, apply
from compiler.artifacts import write
from compiler.cli import cli
from compile_helpers import run_cli
from moto_aws import (ACCOUNT, REGION, aws, create_platform, fail_on, moto_server, respond_on,  # noqa: F401 - fixtures
                      use_account)
from paths import REPO_ROOT

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
COMMIT_A, COMMIT_B = "a" * 40, "b" * 40


def compile_into(out: Path, *repositories: Path, environment: str = "default") -> Path:
    result = api.compile_outputs([str(r) for r in repositories], None, environment)
    assert result.validation.ok, result.validation.problems
    write.write(out, result.outputs)
    return out


def images_file(out: Path, path: Path, build: str = "1") -> Path:
    """images.json as the build stage writes it: every runtime's repository, pinned by a digest."""
    images = {}
    for pointers_file in sorted(out.glob("*/*/pointers.json")):
        for runtime, pointer in json.loads(pointers_file.read_text())["images"].items():
            digest = hashlib.sha256(f"{pointer['repository']}:{build}".encode()).hexdigest()
            images[runtime] = f"{pointer['repository']}@sha256:{digest}"
    path.write_text(json.dumps(images))
    return path


def run_apply(out: Path, images: Path | None = None, commit: str | None = COMMIT_A, time: int = 100,
              configure=None, on_change=None, dry_run: bool = False, environment: str = "default"):
    request = apply.Request(out, environment, images, commit if images else None, time if images else None, dry_run)
    outcome = apply.Outcome()
    apply.apply(request, outcome, configure, **({"on_change": on_change} if on_change else {}))
    return outcome


def actions(outcome, kind: str | None = None) -> dict:
    return {(change.kind, change.name): change.action for plan in outcome.plans for change in plan.changes
            if kind is None or change.kind == kind}


def pointer_item(session, model: str, environment: str = "default") -> dict:
    item = session.client("dynamodb").get_item(TableName="mlops-registry", ConsistentRead=True, Key={
        "pk": {"S": f"MODEL#{model}"}, "sk": {"S": f"POINTERS#{environment}"}}).get("Item")
    return item or {}


def account_state(session) -> dict:
    """Everything apply writes, as plain data (for comparing two accounts' end states)."""
    sfn, events, ecs = session.client("stepfunctions"), session.client("events"), session.client("ecs")
    machines = {}
    for machine in sfn.list_state_machines()["stateMachines"]:
        described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
        machines[machine["name"]] = (described["definition"], described["roleArn"])
    rules = {}
    for bus in ("default", "mlops"):
        for rule in events.list_rules(EventBusName=bus)["Rules"]:
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
            rules[rule["Name"]] = (rule.get("ScheduleExpression"), rule.get("EventPattern"), json.dumps(targets, sort_keys=True))
    items = session.client("dynamodb").scan(TableName="mlops-registry")["Items"]
    pointers = sorted(json.dumps({k: v for k, v in item.items()}, sort_keys=True) for item in items)
    revisions = sorted(ecs.list_task_definitions()["taskDefinitionArns"])
    executions = sorted(execution["name"] for machine in sfn.list_state_machines()["stateMachines"]
                        for execution in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"])
    return {"machines": machines, "rules": rules, "pointers": pointers, "revisions": revisions,
            "executions": executions, **monitoring_state(session)}


def monitoring_state(session) -> dict:
    """The account's alarms (as DescribeAlarms shows them, but when they changed; with their tags)
    and dashboards."""
    cloudwatch = session.client("cloudwatch")
    alarms = {}
    for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
        tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
        settings = {key: value for key, value in alarm.items() if not key.endswith("Timestamp")}
        alarms[alarm["AlarmName"]] = json.dumps({**settings, "Tags": tags}, sort_keys=True)
    dashboards = {entry["DashboardName"]: cloudwatch.get_dashboard(DashboardName=entry["DashboardName"])["DashboardBody"]
                  for entry in cloudwatch.list_dashboards()["DashboardEntries"]}
    return {"alarms": alarms, "dashboards": dashboards}


def editable_sample(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A copy of a sample (next to the samples' platform file) a test may edit, compiled into OUT."""
    repository = tmp_path / "repos" / name
    shutil.copytree(SAMPLES / name, repository)
    shutil.copy(SAMPLES / "mlops-platform.yaml", repository.parent / "mlops-platform.yaml")
    return repository, compile_into(tmp_path / "out", repository)


@pytest.fixture
def samples_out(tmp_path):
    return compile_into(tmp_path / "out", SAMPLES / "churn-fargate", SAMPLES / "demand-forecast")


# ----------------------------------------------------------------------------- first apply

def test_apply_to_an_empty_account_creates_everything(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    outcome = run_apply(samples_out, images)
    assert outcome.failure is None
    planned = actions(outcome)
    # The data bucket exists before mlopsc: apply turns on its EventBridge delivery (see test_apply_buckets.py).
    assert planned.pop(("bucket notifications", "acme-ml-data")) == "update"
    assert set(planned.values()) == {"create", "start"}

    sfn = aws.client("stepfunctions")
    names = sorted(m["name"] for m in sfn.list_state_machines()["stateMachines"])
    assert names == ["churn-fargate-default-batch", "churn-fargate-default-retrain", "demand-forecast-default-batch",
                     "demand-forecast-default-deploy", "demand-forecast-default-retrain"]
    for name in names:
        model, pipeline = name.rsplit("-default-", 1)
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        described = sfn.describe_state_machine(stateMachineArn=arn)
        manifest = json.loads((samples_out / model / "default" / "manifest.json").read_text())
        assert json.loads(described["definition"]) == json.loads(
            (samples_out / model / "default" / f"{pipeline}.asl.json").read_text())
        assert described["roleArn"] == manifest["target"]["pipeline_role"]
        assert described["tracingConfiguration"] == {"enabled": True}
        log_arn = described["loggingConfiguration"]["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"]
        assert manifest["target"]["log_group"] in log_arn
        tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
        assert tags["mlops:model"] == model and tags["mlops:pipeline"] == pipeline

    # Pointers: images by digest from images.json, task definitions registered with them.
    item = pointer_item(aws, "churn-fargate")
    written_images = {k: v["S"] for k, v in item["images"]["M"].items()}
    assert written_images == {k: v for k, v in json.loads(images.read_text()).items() if "churn-fargate/" in v}
    ecs = aws.client("ecs")
    for key, arn in item["task_definitions"]["M"].items():
        definition = ecs.describe_task_definition(taskDefinition=arn["S"])["taskDefinition"]
        runtime = json.loads((samples_out / "churn-fargate/default/pointers.json").read_text())[
            "task_definitions"][key]["runtime"]
        assert definition["containerDefinitions"][0]["image"] == written_images[runtime]
    assert item["commit"] == {"S": COMMIT_A} and item["commit_time"] == {"N": "100"}

    # Trigger rules with their targets; demand-forecast's on_commit started exactly one retrain run.
    events = aws.client("events")
    rule = events.describe_rule(Name="churn-fargate-default-retrain-schedule")
    assert rule["ScheduleExpression"] == "rate(1 day)"
    target = events.list_targets_by_rule(Rule=rule["Name"])["Targets"][0]
    assert target["Arn"].endswith(":stateMachine:churn-fargate-default-retrain")
    assert events.describe_rule(Name="demand-forecast-default-deploy-approved", EventBusName="mlops")["EventPattern"]
    runs = sfn.list_executions(stateMachineArn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:"
                                               "demand-forecast-default-retrain")["executions"]
    assert [r["name"][:19] for r in runs] == [f"commit-{COMMIT_A[:12]}"]
    assert not sfn.list_executions(stateMachineArn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:"
                                                   "churn-fargate-default-retrain")["executions"]  # on_commit: false


def test_a_second_apply_changes_nothing_and_says_so(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    run_apply(samples_out, images)
    before = account_state(aws)
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default", "--images", str(images),
                                      "--commit", COMMIT_A, "--commit-time", "100"])
    assert result.exit_code == 0, result.output
    assert "No changes: AWS already matches OUT." in result.output
    assert "to create" not in result.output and "to update" not in result.output
    assert account_state(aws) == before  # no new task definition revision, no second run


def test_a_changed_config_updates_exactly_the_changed_state_machine(aws, tmp_path):
    repository, out = editable_sample(tmp_path, "churn-fargate")
    create_platform(aws, out)
    images = images_file(out, tmp_path / "images.json")
    run_apply(out, images)

    config = repository / "mlops.yaml"
    config.write_text(config.read_text().replace("    timeout: 2h", "    timeout: 3h"))  # the batch job only
    compile_into(out, repository)
    outcome = run_apply(out, images, commit=COMMIT_B, time=200)
    assert outcome.failure is None
    machines = actions(outcome, "state machine")
    assert machines == {("state machine", "churn-fargate-default-batch"): "update",
                        ("state machine", "churn-fargate-default-retrain"): "unchanged"}
    assert set(actions(outcome, "task definition").values()) == {"unchanged"}
    assert set(actions(outcome, "rule").values()) == {"unchanged"}
    batch = next(c for p in outcome.plans for c in p.changes if c.name == "churn-fargate-default-batch")
    assert any("TimeoutSeconds" in line for line in batch.details), batch.details


# ----------------------------------------------------------------------------- commit order

def test_an_older_commit_never_overwrites_newer_pointers(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    newer = images_file(samples_out, tmp_path / "newer.json", build="2")
    older = images_file(samples_out, tmp_path / "older.json", build="1")
    run_apply(samples_out, newer, commit=COMMIT_B, time=200)
    before = account_state(aws)

    outcome = run_apply(samples_out, older, commit=COMMIT_A, time=100)
    assert outcome.failure is None
    assert set(actions(outcome).values()) == {"kept"}
    assert not outcome.applied
    assert pointer_item(aws, "churn-fargate")["commit"] == {"S": COMMIT_B}
    assert account_state(aws) == before


def race(aws, tmp_path, after_kind: str):
    """An older commit's apply, during which, right after its first write of `after_kind`, a newer
    commit's apply runs to the end. Returns (the older apply's outcome, the newer one's, newer images)."""
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    create_platform(aws, out)
    newer = images_file(out, tmp_path / "newer.json", build="2")
    older = images_file(out, tmp_path / "older.json", build="1")
    raced = []

    def newer_lands(directory, change):
        if change.kind == after_kind and not raced:
            raced.append(run_apply(out, newer, commit=COMMIT_B, time=200))

    outcome = run_apply(out, older, commit=COMMIT_A, time=100, on_change=newer_lands)
    assert raced and raced[0].failure is None and outcome.failure is None
    assert pointer_item(aws, "churn-fargate")["commit"] == {"S": COMMIT_B}
    return outcome, raced[0], newer


def test_the_race_an_older_apply_loses_at_its_conditional_write(aws, tmp_path):
    """Both applies read the pointers before either writes: the older one plans an update, the newer
    one lands in between, and the older one's conditional write is refused by DynamoDB."""
    outcome, _, newer = race(aws, tmp_path, after_kind="task definition")
    assert outcome.superseded and "newer commit" in outcome.superseded[0][1]
    item = pointer_item(aws, "churn-fargate")
    assert {k: v["S"] for k, v in item["images"]["M"].items()} == json.loads(newer.read_text())
    assert not [c for c in outcome.applied if c.kind in ("pointers", "state machine", "rule")]


def test_an_older_apply_does_not_put_back_its_state_machines_after_a_newer_one(aws, tmp_path):
    """The older apply wins its pointer write, then a newer apply runs to the end; the older one's
    later writes (state machines, rules) must stop instead of replacing the newer ones."""
    outcome, _, _ = race(aws, tmp_path, after_kind="pointers")
    assert outcome.superseded
    assert [c.kind for c in outcome.applied if c.kind != "task definition"] == ["pointers"]


# ----------------------------------------------------------------------------- refusals and errors

def test_credentials_of_another_account_are_refused_before_any_write(aws, samples_out, tmp_path, monkeypatch):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    use_account("222222222222", monkeypatch)
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default", "--images", str(images),
                                      "--commit", COMMIT_A, "--commit-time", "100"])
    assert result.exit_code == 1
    assert "compiled for account 111111111111, but the credentials are of account 222222222222" in result.output
    assert "nothing was changed" in result.output and "Traceback" not in result.output
    for account in ("222222222222", ACCOUNT):  # neither account got anything
        use_account(account, monkeypatch)
        import boto3

        session = boto3.session.Session(region_name=REGION)
        assert session.client("stepfunctions").list_state_machines()["stateMachines"] == []
        assert session.client("ecs").list_task_definition_families()["families"] == []
    assert account_state(aws)["pointers"] == []


def test_another_region_is_refused(aws, samples_out, monkeypatch):
    create_platform(aws, samples_out)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default"])
    assert result.exit_code == 1
    assert "compiled for region eu-west-1, but the configured region is us-east-1" in result.output
    assert "Nothing was applied." in result.output
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    state = account_state(aws)
    assert state["machines"] == {} and state["rules"] == {} and state["revisions"] == []


def test_a_missing_role_or_table_is_a_clear_error(aws, samples_out, tmp_path):
    images = images_file(samples_out, tmp_path / "images.json")
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default", "--images", str(images),
                                      "--commit", COMMIT_A, "--commit-time", "100"])
    assert result.exit_code == 1 and "role arn:aws:iam::111111111111:role/" in result.output
    assert "does not exist" in result.output and "bootstrap" in result.output

    create_platform(aws, samples_out)
    aws.client("dynamodb").delete_table(TableName="mlops-registry")
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default", "--images", str(images),
                                      "--commit", COMMIT_A, "--commit-time", "100"])
    assert result.exit_code == 1, result.output
    assert "registry table does not exist" in result.output and "bootstrap platform" in result.output
    assert "Traceback" not in result.output


def test_throttling_is_retried_with_botocores_standard_mode(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    throttled = fail_on("CreateStateMachine", "ThrottlingException", times=2)
    outcome = run_apply(samples_out, images, configure=throttled)
    assert outcome.failure is None
    assert throttled.seen["failed"] == 2
    assert len(aws.client("stepfunctions").list_state_machines()["stateMachines"]) == 5


def test_throttling_beyond_the_retries_stops_with_what_was_applied(aws, samples_out, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")  # the standard variable; fewer back-off waits in a test
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    throttled = fail_on("CreateStateMachine", "ThrottlingException", times=100)
    outcome = run_apply(samples_out, images, configure=throttled)
    assert throttled.seen["failed"] == 3
    assert "throttled by AWS after 3 attempts" in outcome.failure.message
    assert outcome.applied and all(c.kind in ("task definition", "pointers") for c in outcome.applied)


def test_a_failure_between_starting_the_run_and_recording_it_converges(aws, samples_out, tmp_path):
    """The run started, then recording its fingerprint failed; the run even finished before the
    re-run. The re-run must find the run by its name, not start a second one, and record it."""
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    # UpdateItem calls: churn's pointers, demand-forecast's pointers, then the run's fingerprint.
    broken = run_apply(samples_out, images, configure=fail_on("UpdateItem", "AccessDeniedException", after=2))
    assert broken.failure is not None and broken.failure.change.kind == "run"
    sfn = aws.client("stepfunctions")
    retrain = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:demand-forecast-default-retrain"
    [run] = sfn.list_executions(stateMachineArn=retrain)["executions"]
    sfn.stop_execution(executionArn=run["executionArn"])

    rerun = run_apply(samples_out, images)
    assert rerun.failure is None and actions(rerun, "run") == {("run", "demand-forecast-default-retrain"): "start"}
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=retrain)["executions"]] == [run["name"]]
    assert "run_fingerprint" in pointer_item(aws, "demand-forecast")
    assert actions(run_apply(samples_out, images), "run") == {("run", "demand-forecast-default-retrain"): "unchanged"}


def test_targets_eventbridge_refuses_are_an_error_not_a_success(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    refused = respond_on("PutTargets", {"FailedEntryCount": 1, "FailedEntries": [
        {"TargetId": "retrain", "ErrorCode": "ValidationException", "ErrorMessage": "injected refusal"}]}, 200)
    outcome = run_apply(samples_out, configure=refused)
    assert "PutTargets on rule" in outcome.failure.message and "injected refusal" in outcome.failure.message
    assert outcome.failure.change.kind == "rule"


def test_a_bad_profile_or_retry_setting_is_a_clear_error(samples_out, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default"])
    assert result.exit_code == 1 and "no-such-profile" in result.output and "internal error" not in result.output
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default"])
    assert result.exit_code == 1 and "AWS_MAX_ATTEMPTS='many'" in result.output


def test_the_plan_is_printed_before_the_first_write(aws, samples_out, tmp_path, monkeypatch):
    """A build killed during its writes still shows what it was doing."""
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")

    def killed(self):
        raise KeyboardInterrupt  # the build is stopped at its first pointers write

    monkeypatch.setattr("compiler.apply.resources.Planner._write_pointers", killed)
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default", "--images", str(images),
                                      "--commit", COMMIT_A, "--commit-time", "100"])
    assert result.exit_code == 1 and "Aborted!" in result.output  # click's answer to an interrupt
    assert "+ pointers mlops-registry MODEL#churn-fargate POINTERS#default" in result.output
    # 18 + 6 alarms, a dashboard, a drift rule; the update is EventBridge on churn's data bucket.
    assert "Plan: 26 to create, 1 to update, 1 run to start." in result.output


def test_permission_denied_names_the_action(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    outcome = run_apply(samples_out, images, configure=fail_on("PutRule", "AccessDeniedException"))
    assert "permission denied (AccessDeniedException on PutRule)" in outcome.failure.message
    assert "PutRule" in outcome.failure.hint


def test_a_failure_part_way_then_a_rerun_converges(aws, samples_out, tmp_path, monkeypatch):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    # The third state machine fails, after task definitions, pointers and two state machines were written.
    broken = run_apply(samples_out, images, configure=fail_on("CreateStateMachine", "AccessDeniedException", after=2))
    assert broken.failure is not None
    assert 0 < len(broken.applied) < sum(c.pending for p in broken.plans for c in p.changes)
    partial = account_state(aws)
    assert len(partial["machines"]) == 2

    rerun = run_apply(samples_out, images)
    assert rerun.failure is None
    assert "unchanged" in actions(rerun).values()  # what the first attempt wrote is not written again
    again = run_apply(samples_out, images)
    assert not [c for p in again.plans for c in p.changes if c.pending]

    # The end state is the one an uninterrupted apply gives.
    converged = account_state(aws)
    runs = aws.client("stepfunctions").list_executions(
        stateMachineArn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:demand-forecast-default-retrain")["executions"]
    assert len(runs) == 1
    fresh = reset_account(monkeypatch)
    create_platform(fresh, samples_out)
    run_apply(samples_out, images)
    clean = account_state(fresh)
    assert converged["machines"] == clean["machines"] and converged["rules"] == clean["rules"]
    assert converged["revisions"] == clean["revisions"] and converged["executions"] == clean["executions"]
    assert [_without_arns(p) for p in converged["pointers"]] == [_without_arns(p) for p in clean["pointers"]]


def reset_account(monkeypatch):
    """An empty account again, and a session with credentials moto knows after the reset."""
    import os
    import urllib.request

    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/reset", method="POST"))
    use_account(ACCOUNT, monkeypatch)
    return boto3.session.Session(region_name=REGION)


def _without_arns(pointer: str) -> str:
    """Task definition revisions differ between two accounts' histories; everything else must not."""
    item = json.loads(pointer)
    item.pop("task_definitions", None)
    return json.dumps(item, sort_keys=True)


def test_a_removed_trigger_deletes_its_rule(aws, tmp_path):
    repository, out = editable_sample(tmp_path, "churn-fargate")
    create_platform(aws, out)
    run_apply(out)
    config = repository / "mlops.yaml"
    config.write_text(config.read_text().replace('    schedule: "cron(0 3 * * ? *)"\n', ""))
    compile_into(out, repository)
    outcome = run_apply(out)
    assert actions(outcome, "rule")[("rule", "churn-fargate-default-batch-schedule")] == "delete"
    names = {r["Name"] for r in aws.client("events").list_rules()["Rules"]}
    assert "churn-fargate-default-batch-schedule" not in names
    assert "churn-fargate-default-retrain-schedule" in names


def test_dry_run_prints_the_plan_and_writes_nothing(aws, samples_out, tmp_path):
    """The installed command line, in its own process, against the moto server."""
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    result = run_cli("apply", str(samples_out), "--env", "default", "--images", str(images),
                     "--commit", COMMIT_A, "--commit-time", "100", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "+ state machine churn-fargate-default-retrain\n" in result.stdout
    assert "> run demand-forecast-default-retrain (start)" in result.stdout
    # 18 + 6 alarms, a dashboard, a drift rule; the update is EventBridge on churn's data bucket.
    assert "Plan: 26 to create, 1 to update, 1 run to start." in result.stdout
    assert "Dry run: 28 changes not applied." in result.stdout
    state = account_state(aws)
    assert state["machines"] == {} and state["pointers"] == [] and state["alarms"] == {} and state["dashboards"] == {}


def test_json_output_lists_every_change_and_what_was_applied(aws, samples_out, tmp_path):
    create_platform(aws, samples_out)
    images = images_file(samples_out, tmp_path / "images.json")
    arguments = ["apply", str(samples_out), "--env", "default", "--images", str(images), "--commit", COMMIT_A,
                 "--commit-time", "100", "--format", "json"]
    first = json.loads(CliRunner().invoke(cli, arguments).output)
    second = json.loads(CliRunner().invoke(cli, arguments).output)
    assert first["error"] is None and first["account"] == ACCOUNT
    changes = [c for env in first["environments"] for c in env["changes"]]
    assert changes and all(c["applied"] for c in changes)
    assert {c["action"] for env in second["environments"] for c in env["changes"]} == {"unchanged"}


def test_without_boto3_apply_says_how_to_install_it(samples_out, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # what `pip install mlopsc` without the aws extra gives
    result = CliRunner().invoke(cli, ["apply", str(samples_out), "--env", "default"])
    assert result.exit_code == 1
    assert "apply needs boto3" in result.output and "mlopsc[aws]" in result.output


# ----------------------------------------------------------------------------- bad input (no AWS needed)

@pytest.mark.parametrize("images, message", [
    ({"features": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-fargate/features:latest"}, "not pinned by digest"),
    ({"features": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/other/features@sha256:{'0' * 64}",
      "trainer": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-fargate/trainer@sha256:{'0' * 64}"},
     "expects 111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-fargate/features"),
    ({"trainer": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-fargate/trainer@sha256:{'0' * 64}"},
     "no image for runtime features"),
    (["not", "a", "map"], "must map each runtime name"),
])
def test_bad_images_are_refused_before_aws(tmp_path, images, message):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    path = tmp_path / "images.json"
    path.write_text(json.dumps(images))
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "default", "--images", str(path),
                                      "--commit", COMMIT_A, "--commit-time", "1"])
    assert result.exit_code == 2
    assert message in result.output and "hint:" in result.output


def test_images_without_a_commit_are_a_usage_error(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    images = images_file(out, tmp_path / "images.json")
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "default", "--images", str(images)])
    assert result.exit_code == 2 and "--images needs --commit and --commit-time" in result.output


def test_an_edited_output_is_refused(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    definition = out / "churn-fargate/default/retrain.asl.json"
    definition.write_text(definition.read_text().replace('"Type": "Task"', '"Type": "Pass"', 1))
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "default"])
    assert result.exit_code == 2
    assert "retrain.asl.json: does not match the sha256 in manifest.json" in result.output


def test_an_environment_name_is_not_a_pattern(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "*"])
    assert result.exit_code == 2 and "is not an environment name" in result.output


def test_an_unknown_environment_names_the_compiled_ones(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "prod"])
    assert result.exit_code == 2 and "environments compiled here: default" in result.output
