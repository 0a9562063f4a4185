"""EventBridge rules that start the pipelines: schedules, new data in S3, approved versions,
drift alarms (monitor.drift.retrain) and the schedule of the model's own drift job (on any target
with monitor.drift.job; without one, an endpoint's Model Monitor schedule is the deploy pipeline's:
ModelConfig.uses_model_monitor)."""

from __future__ import annotations

import json

from compiler import names
from compiler.render.naming import Naming
from compiler.render.alarms import alarm_arn, drift_alarm_names

#: Scheduled rules, S3 and CloudWatch events live on the default bus; pipeline events on the platform's.
DEFAULT_BUS = "default"
#: The drift job runs at the top of every hour, or at midnight UTC (EventBridge's six-field cron).
DRIFT_SCHEDULES = {"hourly": "cron(0 * * * ? *)", "daily": "cron(0 0 * * ? *)"}


def triggers(naming: Naming) -> dict:
    config = naming.config
    rules = []
    retrain, batch = config.retrain, config.batch
    if retrain and retrain.schedule:
        rules.append(_rule(naming, "retrain", "schedule", f"Retrain {config.name} on a schedule",
                           {"ScheduleExpression": retrain.schedule}, {"Input": json.dumps({"trigger": "schedule"})}))
    if retrain and retrain.new_data_prefix:
        bucket, _, prefix = retrain.new_data_prefix.removeprefix("s3://").partition("/")
        pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"],
                   "detail": {"bucket": {"name": [bucket]}, "object": {"key": _key_filter(prefix, retrain.new_data_marker)}}}
        what = f"a {retrain.new_data_marker} marker lands" if retrain.new_data_marker else "new data lands"
        rules.append(_rule(naming, "retrain", "data", f"Retrain {config.name} when {what} under {retrain.new_data_prefix}",
                           {"EventPattern": pattern},
                           {"InputTransformer": {"InputPathsMap": {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
                                                 "InputTemplate": '{"trigger": "new_data", "bucket": <bucket>, "key": <key>}'}}))
    if batch and batch.schedule:
        rules.append(_rule(naming, "batch", "schedule", f"Score {config.name} in batch on a schedule",
                           {"ScheduleExpression": batch.schedule}, {"Input": json.dumps({"trigger": "schedule"})}))
    if config.deploy:
        pattern = {"source": [f"mlops.{config.name}"], "detail-type": ["ModelRegistered", "ModelApproved"],
                   "detail": {"environment": [config.environment], "approval": ["approved"]}}
        rules.append(_rule(naming, "deploy", "approved", f"Deploy {config.name} when a version is approved",
                           {"EventPattern": pattern},
                           {"InputTransformer": {"InputPathsMap": {"version": "$.detail.version"},
                                                 "InputTemplate": '{"trigger": "approval", "version": <version>}'}},
                           bus=config.platform.event_bus))
    rules += _monitor_rules(naming)
    return {"rules": rules, "on_commit": bool(retrain and retrain.on_commit)}


def _monitor_rules(naming: Naming) -> list:
    config = naming.config
    drift = config.monitor.drift if config.monitor else None
    rules = []
    if drift is not None and drift.retrain and config.retrain is not None:
        rules.append(_rule(naming, "retrain", "drift",
                           f"Retrain {config.name} when a feature drift alarm goes to ALARM (the retrain pipeline "
                           f"starts at most one drift run per UTC {'hour' if drift.cooldown == '1h' else 'day'})",
                           {"EventPattern": drift_alarm_pattern(naming)},
                           {"InputTransformer": {"InputPathsMap": {"alarm": "$.detail.alarmName"},
                                                 "InputTemplate": '{"trigger": "drift", "alarm": <alarm>}'}}))
    if config.drift_job is not None:  # the `drift` pipeline (ModelConfig.pipelines)
        rules.append(_rule(naming, "drift", "schedule", f"Measure the drift of {config.name} {drift.schedule}",
                           {"ScheduleExpression": DRIFT_SCHEDULES[drift.schedule]},
                           {"Input": json.dumps({"trigger": "schedule"})}))
    return rules


def drift_alarm_pattern(naming: Naming) -> dict:
    """CloudWatch's "Alarm State Change" event of a drift alarm entering ALARM. The event names
    the alarm's ARN in `resources` and its new state in `detail.state.value`
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
    Every transition to ALARM matches: the cool-down is the retrain pipeline's (a conditional
    write per UTC hour or day), so a flapping alarm starts at most one retrain run per window."""
    return {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
            "resources": [alarm_arn(naming, name) for name in drift_alarm_names(naming)],
            "detail": {"state": {"value": ["ALARM"]}}}


def _key_filter(prefix: str, marker: str | None) -> list:
    """Every object under the prefix, or only objects named `marker` anywhere below it."""
    if marker is None:
        return [{"prefix": prefix}]
    # EventBridge wildcards: '*' matches anything; a literal '*' or '\\' in the prefix is escaped.
    folder = prefix.rstrip("/") + "/" if prefix else ""
    escaped = folder.replace("\\", "\\\\").replace("*", "\\*")
    return [{"wildcard": f"{escaped}{marker}"}, {"wildcard": f"{escaped}*/{marker}"}]


def _rule(naming: Naming, pipeline: str, kind: str, description: str, match: dict, target_input: dict,
          bus: str = DEFAULT_BUS) -> dict:
    config = naming.config
    pattern = match.get("EventPattern")
    rule = {"Name": names.event_rule(config.name, config.environment, pipeline, kind), "Description": description,
            "EventBusName": bus, "State": "ENABLED"}
    if pattern is not None:
        rule["EventPattern"] = json.dumps(pattern, sort_keys=True)
    else:
        rule["ScheduleExpression"] = match["ScheduleExpression"]
    rule["Targets"] = [{"Id": pipeline, "Arn": naming.state_machine_arn(pipeline),
                        "RoleArn": config.platform.pipeline_role, **target_input}]
    return rule
