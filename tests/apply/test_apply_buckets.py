"""`mlopsc apply` turns on EventBridge delivery on the data bucket of a new-data trigger.

S3 sends "Object Created" to EventBridge only when EventBridge is enabled in the bucket's
notification configuration (Amazon S3 User Guide, "Using EventBridge"); without it the compiled
rule never fires. PutBucketNotificationConfiguration replaces the whole configuration (S3 API
reference, PutBucketNotificationConfiguration), so apply must keep what the bucket already sends
elsewhere. Against moto in its own process (moto_aws.py).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from compiler import api
from compiler.bootstrap.model_stack import apply_statements
from compiler.cli import cli
from moto_aws import ACCOUNT, REGION, aws, create_platform, moto_server  # noqa: F401 - fixtures
from test_apply import SAMPLES, actions, compile_into, run_apply

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

BUCKET = "acme-ml-data"  # churn-fargate's new_data prefix is s3://acme-ml-data/churn/incoming/
CHANGE = ("bucket notifications", BUCKET)


def test_apply_enables_eventbridge_and_keeps_the_buckets_topic_and_queue(aws, tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    create_platform(aws, out)
    s3 = aws.client("s3")
    topic = aws.client("sns").create_topic(Name="exports-done")["TopicArn"]
    queue = aws.client("sqs").create_queue(QueueName="exports")["QueueUrl"]
    queue_arn = aws.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    theirs = {
        "TopicConfigurations": [{"Id": "exports-done", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}],
        "QueueConfigurations": [{"Id": "exports", "QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "exports/"}]}}}],
    }
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=theirs)

    dry = run_apply(out, dry_run=True)
    change = next(c for p in dry.plans for c in p.changes if (c.kind, c.name) == CHANGE)
    assert change.action == "update" and "TopicConfigurations: 1 kept" in change.details
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=BUCKET)

    outcome = run_apply(out)
    assert outcome.failure is None and actions(outcome)[CHANGE] == "update"
    configuration = s3.get_bucket_notification_configuration(Bucket=BUCKET)
    assert configuration["EventBridgeConfiguration"] == {}
    assert configuration["TopicConfigurations"] == theirs["TopicConfigurations"]
    assert configuration["QueueConfigurations"] == theirs["QueueConfigurations"]

    again = run_apply(out)
    assert actions(again)[CHANGE] == "unchanged"


def test_a_missing_data_bucket_blocks_the_plan_with_a_clear_error(aws, tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    create_platform(aws, out)
    aws.client("s3").delete_bucket(Bucket=BUCKET)
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "default"])
    assert result.exit_code == 1, result.output
    assert f"the new-data trigger's bucket {BUCKET} does not exist" in result.output
    assert "Nothing was applied." in result.output and "Traceback" not in result.output
    assert aws.client("stepfunctions").list_state_machines()["stateMachines"] == []


def test_a_model_without_new_data_reads_no_bucket(aws, tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "demand-forecast")
    create_platform(aws, out)
    outcome = run_apply(out)
    assert outcome.failure is None
    assert not [c for p in outcome.plans for c in p.changes if c.kind == "bucket notifications"]


def test_the_compile_role_may_change_exactly_the_data_buckets_notifications():
    """`mlopsc bootstrap model` grants what apply calls (IAM names the actions
    s3:GetBucketNotification / s3:PutBucketNotification), on the trigger's bucket only."""
    assert data_bucket_grants("churn-fargate") == [{"Sid": "DataBucketEvents", "Effect": "Allow", "Action": [
        "s3:GetBucketNotification", "s3:PutBucketNotification"], "Resource": [f"arn:aws:s3:::{BUCKET}"]}]
    assert data_bucket_grants("demand-forecast") == []


def data_bucket_grants(sample: str) -> list:
    result = api.compile_outputs([str(SAMPLES / sample)], None, "default")
    (config,) = result.validation.models
    files = result.outputs[f"{config.name}/default"]
    statements = apply_statements(config, json.loads(files["pointers.json"]), json.loads(files["triggers.json"]))
    return [s for s in statements if s["Sid"] == "DataBucketEvents"]


def test_after_apply_an_object_landing_reaches_the_new_data_rules_pattern(aws, tmp_path):
    """End to end on moto: the compiled rule's pattern, on a probe rule whose target is a queue
    (moto cannot start a state machine from a rule), sees the marker only once apply ran."""
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    create_platform(aws, out)
    rules = json.loads((out / "churn-fargate/default/triggers.json").read_text())["rules"]
    (data_rule,) = [rule for rule in rules if rule["Name"].endswith("-retrain-data")]
    sqs, events, s3 = aws.client("sqs"), aws.client("events"), aws.client("s3")
    queue = sqs.create_queue(QueueName="probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="probe", EventPattern=data_rule["EventPattern"])
    events.put_targets(Rule="probe", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def delivered() -> list:
        s3.put_object(Bucket=BUCKET, Key="churn/incoming/_SUCCESS", Body=b"")
        return sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])

    assert delivered() == []  # EventBridge is off on the bucket: the trigger could never fire
    assert run_apply(out).failure is None
    [message] = delivered()
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Object Created" and event["detail"]["object"]["key"] == "churn/incoming/_SUCCESS"
