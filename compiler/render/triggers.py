"""EventBridge rules that start the pipelines: schedules, new data in S3, approved versions."""

from __future__ import annotations

import json

from compiler import names
from compiler.model import ModelConfig
from compiler.render.context import Naming

#: Scheduled rules and S3 events live on the default bus; pipeline events on the platform's.
DEFAULT_BUS = "default"


def triggers(config: ModelConfig) -> dict:
    naming = Naming(config)
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
    return {"rules": rules, "on_commit": bool(retrain and retrain.on_commit)}


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
