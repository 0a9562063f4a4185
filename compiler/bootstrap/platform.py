"""The platform stack: what every model's pipelines share, named by the platform file.

- the registry table (pk/sk strings, on demand, point-in-time recovery, KMS encryption);
- the artifact bucket (versioned, KMS, public access blocked, TLS only, ACLs off, EventBridge
  notifications on so that `triggers.new_data` rules on it fire), and a bucket for its access logs;
- the event bus (unless it is `default`, which every account has), the SNS topic, the ECS cluster;
- the pipeline and task roles when every model shares them (no `{model}` in their ARNs): only their
  trust here; each model stack attaches the policy its own pipelines need. With `{model}` the roles
  are per model, and the model stacks create them;
- the platform file itself, in an SSM parameter, for the compile stage (`buildspecs/compile.yml`).

Stateful resources (table, buckets) are retained when the stack is deleted or replaces them.
"""

from __future__ import annotations

from compiler import names
from compiler.bootstrap import BootstrapError, cfn
from compiler.bootstrap.cfn import NO_CMK, Template, get_att, ref, sub
from compiler.bootstrap.platform_file import ROLES, PlatformFile
from compiler.render import iam

#: Every resource of the stack carries this tag, next to the platform's own.
TAGS = {"mlops:stack": "platform"}
#: SSM standard parameters hold 4 KB; advanced ones 8 KB (and cost a little).
STANDARD_PARAMETER_LIMIT = 4096
ADVANCED_PARAMETER_LIMIT = 8192


def template(platform: PlatformFile) -> dict:
    t = Template(f"mlops platform: registry {platform.data['registry_table']}, artifacts "
                 f"{platform.data['artifact_bucket']} (printed by `mlopsc bootstrap platform`)")
    t.require_account(platform.account, platform.region, "the platform file")
    _registry(t, platform)
    _buckets(t, platform)
    _events_and_notifications(t, platform)
    if platform.data.get("ecs_cluster"):
        t.add("Cluster", "AWS::ECS::Cluster", {
            "ClusterName": platform.data["ecs_cluster"],
            "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            "Tags": cfn.tags(TAGS)})
        t.output("ClusterArn", get_att("Cluster", "Arn"), "ECS cluster of the Fargate tasks")
    for role in ROLES:
        if platform.per_model(role):
            continue  # one per model: `mlopsc bootstrap model` creates it
        arn = platform.data["roles"][role]
        logical = t.id(role, "Role")
        t.add(logical, "AWS::IAM::Role", {
            "RoleName": names.role_name(arn),
            "Path": cfn.role_path(arn),
            "Description": f"mlops {role} role shared by every model; each model stack attaches its policy",
            "AssumeRolePolicyDocument": cfn.pinned_trust(iam.TRUSTED_SERVICES[role], platform.account),
            "Tags": cfn.tags(TAGS)})
        t.output(logical + "Arn", get_att(logical, "Arn"), f"the shared {role} role")
    _platform_parameter(t, platform)
    return t.build()


def _registry(t: Template, platform: PlatformFile) -> None:
    encryption = {"SSEEnabled": True}
    if platform.kms_key:
        encryption.update(SSEType="KMS", KMSMasterKeyId=platform.kms_key)
    t.add("RegistryTable", "AWS::DynamoDB::Table", {
        "TableName": platform.data["registry_table"],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": encryption,
        "DeletionProtectionEnabled": True,
        "Tags": cfn.tags(TAGS),
    }, retain=True, checkov=[] if platform.kms_key else [("CKV_AWS_119", NO_CMK)])
    t.output("RegistryTableArn", get_att("RegistryTable", "Arn"), "the model registry and artifact pointers")


def access_log_bucket_name(account: str, region: str) -> str:
    """The access-log bucket: one per account and region, named so that model stacks find it."""
    return f"mlops-access-logs-{account}-{region}"


def _buckets(t: Template, platform: PlatformFile) -> None:
    logs = access_log_bucket_name(platform.account, platform.region)
    # Server access logs go to a bucket of their own (S3 delivers them only to SSE-S3 buckets).
    t.add("AccessLogBucket", "AWS::S3::Bucket", cfn.bucket_properties(None, {
        "BucketName": logs,
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "LifecycleConfiguration": {"Rules": [
            {"Id": "expire-access-logs", "Status": "Enabled", "ExpirationInDays": cfn.LOG_RETENTION_DAYS,
             "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]},
        "Tags": cfn.tags(TAGS),
    }), retain=True, checkov=[
        ("CKV_AWS_18", "this is the access-log bucket: logging its own accesses into itself would loop"),
    ])
    t.add("AccessLogBucketPolicy", "AWS::S3::BucketPolicy", _access_log_policy(platform))
    bucket = platform.data["artifact_bucket"]
    t.add("ArtifactBucket", "AWS::S3::Bucket", cfn.bucket_properties(platform.kms_key, {
        "BucketName": bucket,
        "LoggingConfiguration": {"DestinationBucketName": ref("AccessLogBucket"), "LogFilePrefix": f"s3/{bucket}/"},
        # EventBridge gets every object event: `triggers.new_data` rules on this bucket need it.
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
        "LifecycleConfiguration": {"Rules": [
            # Stage outputs and model artifacts stay; superseded versions of an object do not.
            {"Id": "expire-old-versions", "Status": "Enabled",
             "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]},
        "Tags": cfn.tags(TAGS),
    }), retain=True, depends_on=["AccessLogBucketPolicy"])
    t.add("ArtifactBucketPolicy", "AWS::S3::BucketPolicy", cfn.tls_only_policy("ArtifactBucket"))
    t.output("ArtifactBucketArn", get_att("ArtifactBucket", "Arn"), "pipeline data, stage outputs, model artifacts")


def _access_log_policy(platform: PlatformFile) -> dict:
    """S3 may deliver access logs of this account's buckets; nothing else writes here, and only TLS."""
    policy = cfn.tls_only_policy("AccessLogBucket")
    policy["PolicyDocument"]["Statement"].append({
        "Sid": "AllowServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": sub("${AccessLogBucket.Arn}/s3/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": platform.account}}})
    return policy


def _events_and_notifications(t: Template, platform: PlatformFile) -> None:
    if platform.event_bus != "default":
        t.add("EventBus", "AWS::Events::EventBus", {"Name": platform.event_bus, "Tags": cfn.tags(TAGS)})
        t.output("EventBusArn", get_att("EventBus", "Arn"), "the bus the pipelines publish their events to")
    topic = platform.data["notification_topic"]
    t.add("NotificationTopic", "AWS::SNS::Topic", {
        "TopicName": cfn.arn_name(topic),
        "DisplayName": "mlops",
        # The AWS managed key when the platform has none: encrypted either way.
        "KmsMasterKeyId": platform.kms_key or "alias/aws/sns",
        "Tags": cfn.tags(TAGS)})
    t.add("NotificationTopicPolicy", "AWS::SNS::TopicPolicy", {
        "Topics": [ref("NotificationTopic")],
        "PolicyDocument": cfn.document([
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
             "Resource": ref("NotificationTopic"), "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ])})
    t.output("NotificationTopicArn", ref("NotificationTopic"), "failures, time-outs and approvals")


def _platform_parameter(t: Template, platform: PlatformFile) -> None:
    """The platform file's text in SSM: each model's compile stage reads it from here, so the file
    the platform team deployed is the file every compile uses."""
    text = platform.text
    size = len(text.encode("utf-8"))
    if size > ADVANCED_PARAMETER_LIMIT:
        raise BootstrapError(f"{platform.path}: the platform file is {size} bytes; the SSM parameter that carries it "
                             f"to the compile stage holds at most {ADVANCED_PARAMETER_LIMIT}",
                             "remove comments or unused keys from the platform file")
    name = cfn.platform_parameter(platform.data["registry_table"])
    t.add("PlatformFileParameter", "AWS::SSM::Parameter", {
        "Name": name,
        "Description": "The mlops platform file (mlops-platform.yaml); read by each model's compile stage",
        "Type": "String",
        "Tier": "Standard" if size <= STANDARD_PARAMETER_LIMIT else "Advanced",
        "Value": text,
        "Tags": dict(sorted(TAGS.items())),
    })
    t.output("PlatformFileParameterName", ref("PlatformFileParameter"), "SSM parameter holding the platform file")
