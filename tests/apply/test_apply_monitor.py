"""`mlopsc apply` of monitor.json against a moto server (see moto_aws.py): the alarms, the drift
rule and the dashboard are created, a re-apply changes nothing, a changed threshold updates that
alarm, removing `monitor` removes them; and the loop a drift alarm closes.

The loop: a drift alarm set to ALARM in moto, CloudWatch's "Alarm State Change" event built from
the alarm as moto describes it, in the shape AWS documents
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
moto 5.2.5 answers TestEventPattern with an empty response (it is not implemented), so the rule's
pattern is matched with moto's own `EventPattern`, the matcher its rules route events with. moto
cannot deliver an event to a Step Functions target either, so the delivery test runs in-process
with the harness (sfn_harness.applied) and `start_state_machines_from_rules`, which starts the
rule's state machine with its own pattern and InputTransformer as EventBridge does.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from compiler import apply
from compiler.errors import InputError
from compiler.apply.cloudwatch_changes import generated
from moto_aws import ACCOUNT, REGION, aws, create_platform, fail_on_query, moto_server  # noqa: F401 - fixtures
from sfn_harness import applied, start_state_machines_from_rules, wait_for
from test_apply import SAMPLES, actions, compile_into, editable_sample, monitoring_state, run_apply

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

MODEL, ENV = "demand-forecast", "default"
DRIFT_RULE = f"{MODEL}-{ENV}-retrain-drift"


def monitor_json(out: Path) -> dict:
    return json.loads((out / MODEL / ENV / "monitor.json").read_text())


def edit_config(repository: Path, change) -> None:
    """Change the copy's mlops.yaml as data (its comments are not needed)."""
    config = repository / "mlops.yaml"
    data = yaml.safe_load(config.read_text())
    change(data)
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def applied_sample(aws, tmp_path) -> tuple[Path, Path]:
    repository, out = editable_sample(tmp_path, MODEL)
    create_platform(aws, out)
    outcome = run_apply(out)
    assert outcome.failure is None, outcome.failure
    return repository, out


def described(aws, name: str) -> dict:
    (alarm,) = aws.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarm


def rule_pattern(out: Path, name: str) -> str:
    triggers = json.loads((out / MODEL / ENV / "triggers.json").read_text())
    (rule,) = [rule for rule in triggers["rules"] if rule["Name"] == name]
    return rule["EventPattern"]


# ----------------------------------------------------------------------------- create, re-apply

def test_alarms_rule_and_dashboard_are_created_and_a_reapply_changes_nothing(aws, tmp_path):
    _, out = applied_sample(aws, tmp_path)
    monitor = monitor_json(out)
    cloudwatch = aws.client("cloudwatch")
    for alarm in monitor["alarms"]:
        current = described(aws, alarm["AlarmName"])
        for key, value in alarm.items():
            if key != "Tags":
                assert current[key] == value, (alarm["AlarmName"], key)
        tags = cloudwatch.list_tags_for_resource(ResourceARN=current["AlarmArn"])["Tags"]
        assert sorted(tags, key=lambda t: t["Key"]) == alarm["Tags"]
    dashboard = monitor["dashboard"]
    body = json.loads(cloudwatch.get_dashboard(DashboardName=dashboard["DashboardName"])["DashboardBody"])
    assert body == dashboard["DashboardBody"] and generated(body)

    events = aws.client("events")
    rule = events.describe_rule(Name=DRIFT_RULE)
    assert json.loads(rule["EventPattern"]) == json.loads(rule_pattern(out, DRIFT_RULE))
    (target,) = events.list_targets_by_rule(Rule=DRIFT_RULE)["Targets"]
    assert target["Arn"].endswith(f":stateMachine:{MODEL}-{ENV}-retrain")
    assert target["InputTransformer"]["InputPathsMap"] == {"alarm": "$.detail.alarmName"}

    before = monitoring_state(aws)
    again = run_apply(out)
    assert again.failure is None and not again.applied
    assert {action for (kind, _), action in actions(again).items()} == {"unchanged", "skip"}
    assert monitoring_state(aws) == before


def test_a_changed_threshold_updates_exactly_that_alarm(aws, tmp_path):
    repository, out = applied_sample(aws, tmp_path)
    edit_config(repository, lambda data: data["monitor"]["drift"]["features"].update(lag_7=0.25))
    compile_into(out, repository)
    outcome = run_apply(out)
    assert outcome.failure is None
    changed = {key: action for key, action in actions(outcome).items() if action not in ("unchanged", "skip")}
    # The dashboard draws the threshold as a line, so it follows.
    assert changed == {("alarm", f"{MODEL}-{ENV}-drift-lag_7"): "update", ("dashboard", f"{MODEL}-{ENV}"): "update"}
    (alarm_change,) = [c for c in outcome.applied if c.kind == "alarm"]
    assert "~ alarm.Threshold: 0.2 -> 0.25" in alarm_change.details
    assert described(aws, f"{MODEL}-{ENV}-drift-lag_7")["Threshold"] == 0.25
    assert described(aws, f"{MODEL}-{ENV}-drift-rolling_mean_7")["Threshold"] == 0.2


def test_removing_monitor_deletes_its_alarms_rule_and_dashboard(aws, tmp_path):
    repository, out = applied_sample(aws, tmp_path)
    cloudwatch = aws.client("cloudwatch")
    # Someone's own alarm under the same name prefix, without our tags: left alone.
    cloudwatch.put_metric_alarm(AlarmName=f"{MODEL}-{ENV}-cpu", MetricName="CPUUtilization", Namespace="AWS/EC2",
                                Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=90.0,
                                ComparisonOperator="GreaterThanThreshold")

    def without_monitor(data):
        del data["monitor"]
        data["pipelines"]["deploy"]["traffic"] = {"mode": "all-at-once"}  # its rollback alarms were the monitor's
    edit_config(repository, without_monitor)
    compile_into(out, repository)
    assert not (out / MODEL / ENV / "monitor.json").exists()
    outcome = run_apply(out)
    assert outcome.failure is None
    deleted = sorted(key for key, action in actions(outcome).items() if action == "delete")
    assert deleted == sorted([("alarm", name) for name in (f"{MODEL}-{ENV}-drift-day_of_week", f"{MODEL}-{ENV}-drift-lag_7",
                                                           f"{MODEL}-{ENV}-drift-rolling_mean_7", f"{MODEL}-{ENV}-error-rate",
                                                           f"{MODEL}-{ENV}-latency-p99", f"{MODEL}-{ENV}-no-invocations")]
                             + [("dashboard", f"{MODEL}-{ENV}"), ("rule", DRIFT_RULE)])
    assert monitoring_state(aws)["alarms"].keys() == {f"{MODEL}-{ENV}-cpu"}
    assert monitoring_state(aws)["dashboards"] == {}
    assert DRIFT_RULE not in {rule["Name"] for rule in aws.client("events").list_rules()["Rules"]}
    assert not run_apply(out).applied  # and that is where it stays


def test_a_dashboard_mlopsc_did_not_generate_is_not_deleted(aws, tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")  # no monitor section
    create_platform(aws, out)
    cloudwatch = aws.client("cloudwatch")
    body = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "mine"}}]}
    cloudwatch.put_dashboard(DashboardName="churn-fargate-default", DashboardBody=json.dumps(body))
    outcome = run_apply(out)
    assert outcome.failure is None
    assert not [key for key in actions(outcome) if key[0] in ("alarm", "dashboard")]
    assert json.loads(cloudwatch.get_dashboard(DashboardName="churn-fargate-default")["DashboardBody"]) == body


# ----------------------------------------------------------------------------- errors

def test_an_edited_monitor_json_is_refused_before_any_aws_call(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / MODEL)
    monitor = out / MODEL / ENV / "monitor.json"
    monitor.write_text(monitor.read_text().replace('"Threshold": 0.2,', '"Threshold": 0.9,', 1))
    with pytest.raises(InputError, match="monitor.json: does not match the sha256 in manifest.json"):
        apply.load(apply.Request(out, ENV))


def test_permission_denied_on_an_alarm_names_the_call(aws, tmp_path):
    repository, out = editable_sample(tmp_path, MODEL)
    create_platform(aws, out)
    outcome = run_apply(out, configure=fail_on_query("PutMetricAlarm", "AccessDenied", status=403))
    assert "permission denied (AccessDenied on PutMetricAlarm)" in outcome.failure.message
    assert "alarm" in outcome.failure.message and "bootstrap model" in outcome.failure.hint
    assert not [change for change in outcome.applied if change.kind in ("state machine", "rule")]  # alarms go first


def test_throttled_describe_alarms_is_retried(aws, tmp_path):
    repository, out = editable_sample(tmp_path, MODEL)
    create_platform(aws, out)
    throttled = fail_on_query("DescribeAlarms", "Throttling")
    outcome = run_apply(out, configure=throttled)
    assert outcome.failure is None and throttled.seen["failed"] == 1
    assert len(monitoring_state(aws)["alarms"]) == len(monitor_json(out)["alarms"])


# ----------------------------------------------------------------------------- the loop

def alarm_state_change(alarm: dict, previous: str = "OK") -> dict:
    """CloudWatch's "Alarm State Change" event for a metric alarm, in the shape AWS documents
    (cloudwatch-and-eventbridge.html: "Single Metric Alarm" and "Metric Math Alarm"), from
    DescribeAlarms' MetricAlarm."""
    if alarm.get("MetricName"):
        metrics = [{"id": "m1", "returnData": True, "metricStat": {
            "metric": {"namespace": alarm["Namespace"], "name": alarm["MetricName"],
                       "dimensions": {d["Name"]: d["Value"] for d in alarm["Dimensions"]}},
            "period": alarm["Period"], "stat": alarm.get("Statistic") or alarm["ExtendedStatistic"]}}]
    else:
        metrics = [{"id": query["Id"], "returnData": query["ReturnData"],
                    **({"expression": query["Expression"], "label": query["Label"]} if "Expression" in query else {
                        "metricStat": {"metric": {"namespace": query["MetricStat"]["Metric"]["Namespace"],
                                                  "name": query["MetricStat"]["Metric"]["MetricName"],
                                                  "dimensions": {d["Name"]: d["Value"] for d in
                                                                 query["MetricStat"]["Metric"]["Dimensions"]}},
                                       "period": query["MetricStat"]["Period"], "stat": query["MetricStat"]["Stat"]}})}
                   for query in alarm["Metrics"]]
    time = alarm["StateUpdatedTimestamp"].strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": alarm["AlarmArn"].split(":")[4], "time": time[:19] + "Z",
        "region": alarm["AlarmArn"].split(":")[3], "resources": [alarm["AlarmArn"]],
        "detail": {"alarmName": alarm["AlarmName"],
                   "configuration": {"description": alarm.get("AlarmDescription", ""), "metrics": metrics},
                   "previousState": {"value": previous, "reason": "Threshold Crossed", "timestamp": time},
                   "state": {"value": alarm["StateValue"], "reason": alarm["StateReason"], "timestamp": time}},
    }


def matches(pattern: str, event: dict) -> bool:
    from moto.events.models import EventPattern

    return EventPattern.load(pattern).matches_event(event)


def test_the_drift_rule_matches_a_drift_alarm_entering_alarm_and_nothing_else(aws, tmp_path):
    _, out = applied_sample(aws, tmp_path)
    cloudwatch = aws.client("cloudwatch")
    drift, health = f"{MODEL}-{ENV}-drift-lag_7", f"{MODEL}-{ENV}-error-rate"
    for name in (drift, health):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed")
    pattern = aws.client("events").describe_rule(Name=DRIFT_RULE)["EventPattern"]  # as applied
    assert matches(pattern, alarm_state_change(described(aws, drift)))
    assert not matches(pattern, alarm_state_change(described(aws, health)))  # serving health does not retrain
    cloudwatch.set_alarm_state(AlarmName=drift, StateValue="OK", StateReason="back to normal")
    assert not matches(pattern, alarm_state_change(described(aws, drift), previous="ALARM"))


def test_a_drift_alarm_starts_a_retrain_run(monkeypatch, tmp_path):
    """The sample as it is, its weekly retrain schedule included: of every rule applied, only the
    drift rule starts anything, and only for the drift alarm."""
    with applied(monkeypatch, tmp_path, [SAMPLES / MODEL]) as account:
        started = start_state_machines_from_rules(monkeypatch)
        cloudwatch = account.session.client("cloudwatch")
        drift, health = f"{MODEL}-{ENV}-drift-day_of_week", f"{MODEL}-{ENV}-latency-p99"
        for name in (health, drift):
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed")
            (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
            event = alarm_state_change(alarm)
            response = account.session.client("events").put_events(Entries=[{
                "Source": event["source"], "DetailType": event["detail-type"], "Resources": event["resources"],
                "Detail": json.dumps(event["detail"])}])
            assert response["FailedEntryCount"] == 0
        assert [(run["rule"], run["input"]) for run in started] == [
            (DRIFT_RULE, {"trigger": "drift", "alarm": drift})]
        (run,) = started
        assert run["arn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{MODEL}-{ENV}-retrain:")
        wait_for(account.sfn, run["arn"])  # it runs (the harness has no training data: it ends at the gate)
