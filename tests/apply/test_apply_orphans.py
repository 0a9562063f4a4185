"""An apply stopped between creating a resource and tagging it must not leave an orphan that no
later apply removes (apply deletes only what its tags say is this model environment's).

Resources are created with their tags in the same call (EventBridge PutRule `Tags`, Step Functions
CreateStateMachine `tags`, CloudWatch PutMetricAlarm `Tags`, ECS RegisterTaskDefinition `tags`);
a rule an earlier apply created untagged is found by its name prefix and its targets. Against moto
in its own process (moto_aws.py); the stop is an AWS error injected with botocore's event hooks.
"""

from __future__ import annotations

import pytest

from moto_aws import aws, create_platform, fail_on, moto_server  # noqa: F401 - fixtures
from test_apply import actions, compile_into, editable_sample, run_apply

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

RULE = "churn-fargate-default-batch-schedule"
SCHEDULE = '    schedule: "cron(0 3 * * ? *)"\n'  # the batch trigger of samples/churn-fargate


def remove_batch_trigger(repository, out):
    config = repository / "mlops.yaml"
    config.write_text(config.read_text().replace(SCHEDULE, ""))
    compile_into(out, repository)


def rule_names(session) -> set:
    return {rule["Name"] for rule in session.client("events").list_rules()["Rules"]}


def test_a_rule_created_by_an_apply_stopped_before_tagging_is_removed_with_its_trigger(aws, tmp_path):
    """Tagging fails from the third rule on, where apply used to call TagResource after PutRule
    (the batch rule is the third); the next commit has no batch trigger: its rule must go."""
    repository, out = editable_sample(tmp_path, "churn-fargate")
    create_platform(aws, out)
    tagging_fails = fail_on("TagResource", "AccessDeniedException", times=100, after=2)
    stopped = run_apply(out, configure=tagging_fails)
    assert stopped.failure is None and tagging_fails.seen["calls"] == 0  # created with its tags: no TagResource
    events = aws.client("events")
    tags = {t["Key"]: t["Value"] for t in events.list_tags_for_resource(
        ResourceARN=events.describe_rule(Name=RULE)["Arn"])["Tags"]}
    assert tags["mlops:model"] == "churn-fargate" and tags["mlops:environment"] == "default"

    remove_batch_trigger(repository, out)
    outcome = run_apply(out)
    assert outcome.failure is None
    assert RULE not in rule_names(aws)


def strip_tags_on(operation: str):
    """A `configure(session)` hook: `operation` is sent without its tags, as apply sent it before
    it tagged resources on creation (the rule then exists untagged)."""
    def drop(params, **_):
        params.pop("Tags", None)

    def configure(session):
        session.events.register(f"provide-client-params.events.{operation}", drop)
    return configure


def both(*hooks):
    def configure(session):
        for hook in hooks:
            hook(session)
    return configure


def test_an_untagged_leftover_rule_of_this_environment_is_found_by_name_and_targets(aws, tmp_path):
    """A rule an earlier apply created without tags, stopped before PutTargets; and a rule someone
    else made with the same prefix, untagged, aimed elsewhere, which apply must leave alone."""
    repository, out = editable_sample(tmp_path, "churn-fargate")
    create_platform(aws, out)
    stopped = run_apply(out, configure=both(strip_tags_on("PutRule"),
                                            fail_on("PutTargets", "AccessDeniedException", times=100)))
    assert stopped.failure is not None and stopped.failure.change.kind == "rule"
    events = aws.client("events")
    leftover = events.describe_rule(Name=stopped.failure.change.name)
    assert events.list_tags_for_resource(ResourceARN=leftover["Arn"])["Tags"] == []
    run_apply(out, configure=strip_tags_on("PutRule"))  # every rule untagged, with its targets
    assert events.list_tags_for_resource(ResourceARN=events.describe_rule(Name=RULE)["Arn"])["Tags"] == []

    queue = aws.client("sqs").create_queue(QueueName="someone-else")["QueueUrl"]
    queue_arn = aws.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="churn-fargate-default-batch-audit", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="churn-fargate-default-batch-audit", Targets=[{"Id": "audit", "Arn": queue_arn}])

    remove_batch_trigger(repository, out)
    outcome = run_apply(out)
    assert outcome.failure is None
    assert actions(outcome, "rule")[("rule", RULE)] == "delete"
    assert RULE not in rule_names(aws)
    assert "churn-fargate-default-batch-audit" in rule_names(aws)
    # The rules that stay were tagged by this apply (TagResource on an existing rule).
    kept = events.describe_rule(Name="churn-fargate-default-retrain-schedule")
    tags = {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=kept["Arn"])["Tags"]}
    assert tags["mlops:model"] == "churn-fargate" and tags["mlops:environment"] == "default"
