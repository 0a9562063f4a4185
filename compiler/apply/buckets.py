"""What apply changes on the data buckets of new-data triggers: S3's delivery of events to EventBridge.

A bucket sends "Object Created" events to EventBridge only once EventBridge is enabled in its
notification configuration (Amazon S3 User Guide, "Using EventBridge" / "Enabling Amazon
EventBridge"): without it the new-data rule never fires. S3 delivers them to the default event
bus of the bucket's own account and region, so the bucket must be in the environment's account
(apply refuses another account's bucket with ExpectedBucketOwner) and region.

PutBucketNotificationConfiguration replaces the whole configuration (S3 API reference), so apply
reads it again just before writing and adds `EventBridgeConfiguration` to what is there: every
topic, queue and Lambda function configuration of the bucket stays as it was. Apply never
disables EventBridge (other consumers may rely on it), also not when the trigger is removed.
"""

from __future__ import annotations

import json
from typing import Iterator

from compiler.apply.changes import Change, error_code
from compiler.errors import AwsError

KIND = "bucket notifications"
#: The configurations a bucket may hold, as GetBucketNotificationConfiguration returns them.
CONFIGURATIONS = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations",
                  "EventBridgeConfiguration")


def data_buckets(rules: list) -> list[str]:
    """The buckets whose S3 events the compiled rules match (new-data triggers), sorted."""
    return sorted({bucket for rule in rules for bucket in _buckets(rule)})


def _buckets(rule: dict) -> Iterator[str]:
    pattern = json.loads(rule["EventPattern"]) if rule.get("EventPattern") else {}
    if pattern.get("source") == ["aws.s3"]:
        yield from pattern.get("detail", {}).get("bucket", {}).get("name", [])


def eventbridge_change(s3, bucket: str, account: str) -> Change:
    """Enable EventBridge on `bucket` unless it already is; a bucket apply cannot read or that is
    not the account's is a blocking problem of the plan (an AwsError, before any write)."""
    current = _configuration(s3, bucket, account)
    if "EventBridgeConfiguration" in current:
        return Change(KIND, bucket, "unchanged")

    def enable():
        merged = dict(_configuration(s3, bucket, account), EventBridgeConfiguration={})
        # The configurations kept are the bucket's own, already validated by S3 when they were set:
        # re-validating them could fail on a destination apply does not own.
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=merged,
                                                 ExpectedBucketOwner=account, SkipDestinationValidation=True)
    kept = [f"{name}: {len(current[name])} kept" for name in CONFIGURATIONS[:3] if current.get(name)]
    return Change(KIND, bucket, "update",
                  ("+ EventBridgeConfiguration: S3 sends this bucket's events to EventBridge "
                   "(the new-data trigger matches them)", *kept), enable)


def _configuration(s3, bucket: str, account: str) -> dict:
    from botocore.exceptions import ClientError

    try:
        response = s3.get_bucket_notification_configuration(Bucket=bucket, ExpectedBucketOwner=account)
    except ClientError as error:
        code = error_code(error)
        if code == "NoSuchBucket":
            raise AwsError(f"the new-data trigger's bucket {bucket} does not exist; nothing was changed",
                           "create the bucket, or fix pipelines.retrain.triggers.new_data.prefix") from None
        if code in ("AccessDenied", "403"):
            raise AwsError(f"cannot read the notification configuration of bucket {bucket} "
                           f"(s3:GetBucketNotification, {code}); nothing was changed",
                           f"the bucket must belong to account {account} (S3 sends events to EventBridge in the "
                           "bucket's own account and region), and the role running apply needs "
                           "s3:GetBucketNotification and s3:PutBucketNotification on it: `mlopsc bootstrap model` "
                           "grants both; or enable EventBridge on the bucket yourself") from None
        raise
    return {name: response[name] for name in CONFIGURATIONS if name in response}
