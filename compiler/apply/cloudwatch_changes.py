"""What apply changes for monitor.json: the model environment's CloudWatch alarms and dashboard.

Alarms are read with one DescribeAlarms over the environment's name prefix (`<model>-<env>-`),
compared on the fields monitor.json sets (AWS adds others, e.g. an empty InsufficientDataActions)
and tags (tags others added stay), and written with PutMetricAlarm only when they differ; an
alarm of that prefix that monitor.json no longer lists is deleted when its tags say it is this
model environment's. The dashboard is compared by its body; when `monitor` is removed, the
dashboard of that name is deleted if mlopsc generated it (its text widget says so).
"""

from __future__ import annotations

import json
from typing import Callable, Optional

from compiler.apply import plan_details
from compiler.apply.changes import Change, or_none, owned, tag_map
from compiler.render.alarms import DASHBOARD_MARKER


def existing_alarms(cloudwatch, prefix: str) -> dict:
    """Alarm name -> DescribeAlarms' MetricAlarm, for every metric alarm whose name starts with `prefix`."""
    alarms, token = {}, None
    while True:
        response = cloudwatch.describe_alarms(AlarmNamePrefix=prefix, **({"NextToken": token} if token else {}))
        alarms.update((alarm["AlarmName"], alarm) for alarm in response["MetricAlarms"])
        token = response.get("NextToken")
        if not token:
            return alarms


def alarm_change(cloudwatch, alarm: dict, current: Optional[dict]) -> Change:
    """Create, update or leave one alarm of monitor.json (`alarm` is PutMetricAlarm's arguments)."""
    name = alarm["AlarmName"]
    if current is None:
        return Change("alarm", name, "create", (), lambda: cloudwatch.put_metric_alarm(**alarm))
    settings = {key: value for key, value in alarm.items() if key != "Tags"}
    current_tags = tag_map(cloudwatch.list_tags_for_resource(ResourceARN=current["AlarmArn"])["Tags"])
    shown = {"alarm": _comparable(_projected(current, settings)), "tags": current_tags}
    wanted = {"alarm": _comparable(settings), "tags": {**current_tags, **tag_map(alarm["Tags"])}}
    if shown == wanted:
        return Change("alarm", name, "unchanged")

    def update():
        if shown["alarm"] != wanted["alarm"]:
            # For an existing alarm PutMetricAlarm ignores Tags (AWS): they are set by TagResource.
            cloudwatch.put_metric_alarm(**alarm)
        if shown["tags"] != wanted["tags"]:
            cloudwatch.tag_resource(ResourceARN=current["AlarmArn"], Tags=alarm["Tags"])
    return Change("alarm", name, "update", plan_details.changes(shown, wanted), update)


def stale_alarm_changes(cloudwatch, existing: dict, wanted: set, model: str, environment: str) -> list[Change]:
    """Alarms of this model environment that monitor.json no longer has (all of them without it)."""
    changes = []
    for name, alarm in sorted(existing.items()):
        if name in wanted:
            continue
        tags = tag_map(cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"])
        if owned(tags, model, environment):
            changes.append(Change("alarm", name, "delete", ("no longer in monitor.json",),
                                  _alarm_deleter(cloudwatch, name)))
    return changes


def dashboard_change(cloudwatch, name: str, dashboard: Optional[dict]) -> Optional[Change]:
    """Create or update the dashboard of monitor.json; without one, delete the generated dashboard."""
    current = or_none(lambda: json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]),
                      "ResourceNotFound")
    if dashboard is None:
        if current is None or not generated(current):
            return None
        return Change("dashboard", name, "delete", ("monitor is no longer configured",),
                      lambda: cloudwatch.delete_dashboards(DashboardNames=[name]))
    body = dashboard["DashboardBody"]
    if current == body:
        return Change("dashboard", name, "unchanged")

    def put():
        # Errors are raised (InvalidParameterInput); DashboardValidationMessages are warnings only.
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True))
    return Change("dashboard", name, "update" if current is not None else "create",
                  plan_details.changes(current, body) if current is not None else (), put)


def generated(body: dict) -> bool:
    """True for a dashboard body mlopsc wrote (its text widget starts with the marker)."""
    texts = [widget.get("properties", {}).get("markdown", "") for widget in body.get("widgets", [])
             if widget.get("type") == "text"]
    return any(text.startswith(DASHBOARD_MARKER) for text in texts)


def _alarm_deleter(cloudwatch, name: str) -> Callable[[], None]:
    return lambda: cloudwatch.delete_alarms(AlarmNames=[name])


def _projected(current, desired):
    """`current` with only the keys `desired` has, at every depth (the fields apply sets)."""
    if isinstance(current, dict) and isinstance(desired, dict):
        return {key: _projected(current[key], value) for key, value in desired.items() if key in current}
    if isinstance(current, list) and isinstance(desired, list) and len(current) == len(desired):
        return [_projected(have, want) for have, want in zip(current, desired)]
    return current


def _comparable(value):
    """Dimensions are a set: compared in name order, whatever order AWS returns them in."""
    if isinstance(value, dict):
        return {key: sorted(_comparable(inner), key=lambda d: d.get("Name", "")) if key == "Dimensions"
                else _comparable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_comparable(inner) for inner in value]
    return value
