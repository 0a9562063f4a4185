"""The platform stack: what every model's pipelines share, named by the platform file.

- the registry table (pk/sk strings, on demand, point-in-time recovery, KMS encryption);
- the artifact bucket (versioned, KMS, public access blocked, TLS only, ACLs off, EventBridge
  notifications on so that `triggers.new_data` rules on it fire), and a bucket for its access logs;
- the event bus (unless it is `default`, which every account has), the SNS topic, the ECS cluster;
- the pipeline and task roles when every model shares them (no `{model}` in their ARNs): only their
  trust here; each model stack attaches the policy its own pipelines need. With `{model}` the roles
  are per model, and the model stacks create them;
- with `codeartifact.create`, the CodeArtifact domain and repository, whose upstream is a
  repository connected to public PyPI (`<repository>-pypi`); without it, they exist already;
- the platform file itself, in an SSM parameter, for the compile stage (`buildspecs/compile.yml`);
- the registry's Lambda function (compiler/registry/handler.py), the rule on the event bus that
  sends it every `mlops.*` event, its role (the registry table's items, its log group, its
  dead-letter queue), and the dead-letter queue of the events it could not record. Its code is
  the zip `mlopsc bootstrap platform --handler-zip FILE` writes, uploaded to a bucket named by the
  stack's parameter `RegistryHandlerBucket`, at the key `RegistryHandlerKey` (by default the
  zip's content hash, so new code is a new key and CloudFormation updates the function).

Stateful resources (table, buckets) are retained when the stack is deleted or replaces them.
"""

from __future__ import annotations

from compiler import names
from compiler.bootstrap import BootstrapError, cfn
from compiler.bootstrap.cfn import NO_CMK, Template, get_att, ref, sub
from compiler.bootstrap.platform_file import ROLES, PlatformFile, PlatformNames
from compiler.registry import package
from compiler.render import iam

#: Every resource of the stack carries this tag, next to the platform's own.
TAGS = {"mlops:stack": "platform"}
#: SSM standard parameters hold 4 KB; advanced ones 8 KB (and cost a little).
STANDARD_PARAMETER_LIMIT = 4096
ADVANCED_PARAMETER_LIMIT = 8192


def template(platform: PlatformFile, target_accounts: tuple = ()) -> dict:
    """The platform stack; `target_accounts` receive deployments from this one (cross-account
    delivery, docs/bootstrap.md): the model images replicate to them, and their events may reach
    this account's bus."""
    t = Template(f"mlops platform: registry {platform.data['registry_table']}, artifacts "
                 f"{platform.data['artifact_bucket']} (printed by `mlopsc bootstrap platform`)")
    t.require_account(platform.account, platform.region, "the platform file")
    resources(t, platform)
    _codeartifact(t, platform)  # the builds run in this account
    _platform_parameter(t, platform)
    if target_accounts:
        _deliver_to(t, platform, sorted(set(target_accounts)))
    return t.build()


def resources(t: Template, platform: PlatformNames) -> None:
    """What every account running the pipelines needs: the platform stack's resources, and a
    target stack's (compiler/bootstrap/target_stack.py) but for the platform file's parameter."""
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
    _registry_handler(t, platform)


def bus_arn(platform: PlatformNames) -> str:
    return f"arn:{platform.partition}:events:{platform.region}:{platform.account}:event-bus/{platform.event_bus}"


def _deliver_to(t: Template, platform: PlatformFile, accounts: list) -> None:
    """What the delivery account grants the accounts it delivers to.

    - ECR replication of this registry's images to theirs (ECR User Guide, "Private image
      replication in Amazon ECR"): the digest stays the same, so a version's images, named by
      digest, exist in the target account's repositories of the same name, which is where
      their compiled environments look for them. The registry holds only the models'
      repositories, so it replicates all of them; the target registries' policies accept them.
    - The pipelines' events (source `mlops.*`) that their rules forward to this bus (EventBridge
      User Guide, "Sending and receiving events between AWS accounts in Amazon EventBridge"): the
      registry's rule here records them, so `mlopsc registry` here sees what ran there."""
    t.add("ImageReplication", "AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": {"Rules": [
        {"Destinations": [{"Region": platform.region, "RegistryId": account} for account in accounts]}]}})
    bus = platform.event_bus
    for account in accounts:
        t.add(t.id("EventsFrom", account), "AWS::Events::EventBusPolicy", {
            "EventBusName": bus if bus == "default" else ref("EventBus"),
            "StatementId": f"mlops-events-from-{account}",
            "Statement": {"Effect": "Allow", "Principal": {"AWS": f"arn:{platform.partition}:iam::{account}:root"},
                          "Action": "events:PutEvents", "Resource": bus_arn(platform),
                          "Condition": {"StringLike": {"events:source": "mlops.*"}}}})


def _registry(t: Template, platform: PlatformNames) -> None:
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


def _buckets(t: Template, platform: PlatformNames) -> None:
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


def _access_log_policy(platform: PlatformNames) -> dict:
    """S3 may deliver access logs of this account's buckets; nothing else writes here, and only TLS."""
    policy = cfn.tls_only_policy("AccessLogBucket")
    policy["PolicyDocument"]["Statement"].append({
        "Sid": "AllowServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": sub("${AccessLogBucket.Arn}/s3/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": platform.account}}})
    return policy


def _events_and_notifications(t: Template, platform: PlatformNames) -> None:
    if platform.event_bus != "default":
        t.add("EventBus", "AWS::Events::EventBus", {"Name": platform.event_bus, "Tags": cfn.tags(TAGS)})
        t.output("EventBusArn", get_att("EventBus", "Arn"), "the bus the pipelines publish their events to")
    topic = platform.data["notification_topic"]
    t.add("NotificationTopic", "AWS::SNS::Topic", {
        "TopicName": cfn.arn_name(topic),
        "DisplayName": "mlops",
        "KmsMasterKeyId": platform.kms_key or ref(_notification_key(t, platform)),
        "Tags": cfn.tags(TAGS)})
    t.add("NotificationTopicPolicy", "AWS::SNS::TopicPolicy", {
        "Topics": [ref("NotificationTopic")],
        "PolicyDocument": cfn.document([
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
             "Resource": ref("NotificationTopic"), "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            # This policy replaces the topic's default one: the account's roles publish through their
            # IAM policies, but CloudWatch alarms need this grant (only this account's alarms).
            {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "sns:Publish", "Resource": ref("NotificationTopic"),
             "Condition": {"ArnLike": {"aws:SourceArn": sub("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*")},
                           "StringEquals": {"aws:SourceAccount": sub("${AWS::AccountId}")}}},
        ])})
    t.output("NotificationTopicArn", ref("NotificationTopic"), "failures, time-outs and approvals")


def _notification_key(t: Template, platform: PlatformNames) -> str:
    """The topic's own key when the platform has none. Not the AWS managed `alias/aws/sns`: its
    policy cannot be changed, and CloudWatch alarms cannot publish to a topic encrypted with it
    (SNS guide, "Enable compatibility between event sources from AWS services and encrypted
    topics"). Like the managed key, it serves every principal of the account through SNS only."""
    return t.add("NotificationKey", "AWS::KMS::Key", {
        "Description": "mlops notification topic: lets CloudWatch alarms publish to the encrypted topic",
        "EnableKeyRotation": True,
        "KeyPolicy": cfn.document([
            {"Sid": "AccountAdministersTheKey", "Effect": "Allow",
             "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "AccountPublishesThroughSns", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": sub("${AWS::AccountId}"),
                                            "kms:ViaService": sub("sns.${AWS::Region}.amazonaws.com")}}},
            {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": sub("${AWS::AccountId}")}}},
        ]),
        "Tags": cfn.tags(TAGS)}, retain=True,
        checkov=[("CKV_AWS_33", "principal * is limited to this account's callers through SNS (kms:CallerAccount "
                                "and kms:ViaService), as in the AWS managed SNS key, so publishing roles need no KMS "
                                "grant of their own")])


#: The external connection of the upstream repository (CodeArtifact User Guide, "Supported external
#: connection repositories"): a repository has at most one, so the public index gets its own.
PUBLIC_PYPI = "public:pypi"


def _codeartifact(t: Template, platform: PlatformFile) -> None:
    """The domain (encrypted with the platform's key when it has one), the repository the builds
    use, and its upstream, connected to public PyPI: a package not published to the repository is
    fetched from PyPI through it and kept (CodeArtifact User Guide, "Connect a CodeArtifact
    repository to a public repository"). Retained: they hold the published packages."""
    codeartifact = platform.data.get("codeartifact") or {}
    if not codeartifact.get("create"):
        return
    domain, repository = codeartifact["domain"], codeartifact["repository"]
    properties = {"DomainName": domain, "Tags": cfn.tags(TAGS)}
    if platform.kms_key:
        properties["EncryptionKey"] = platform.kms_key
    t.add("CodeArtifactDomain", "AWS::CodeArtifact::Domain", properties, retain=True)
    upstream = f"{repository[:95]}-pypi"
    t.add("CodeArtifactPublicPyPI", "AWS::CodeArtifact::Repository", {
        "DomainName": get_att("CodeArtifactDomain", "Name"), "RepositoryName": upstream,
        "Description": "public PyPI, through CodeArtifact: the upstream of " + repository,
        "ExternalConnections": [PUBLIC_PYPI], "Tags": cfn.tags(TAGS)}, retain=True)
    t.add("CodeArtifactRepository", "AWS::CodeArtifact::Repository", {
        "DomainName": get_att("CodeArtifactDomain", "Name"), "RepositoryName": repository,
        "Description": "the models' private packages; public ones through its upstream",
        "Upstreams": [get_att("CodeArtifactPublicPyPI", "Name")], "Tags": cfn.tags(TAGS)}, retain=True)
    t.output("CodeArtifactRepositoryArn", get_att("CodeArtifactRepository", "Arn"),
             "the repository the builds install from and publish to")


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


#: Lambda's Python runtime for the registry handler (standard library and boto3 only).
HANDLER_RUNTIME = "python3.12"
#: At most this many handler invocations at once: enough for every model's events (each takes
#: milliseconds), and a bound on the table's write rate. Throttled events are retried by Lambda.
HANDLER_CONCURRENCY = 5
#: Dead letters are kept as long as SQS allows, for a person to replay them.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600


def handler_names(registry_table: str) -> str:
    """The base name of the handler's function, role, rule and queue: `<table>-events`, within
    Lambda's 64 characters and its character set (a long or dotted table name is shortened,
    with a hash to keep it unique)."""
    import hashlib
    import re

    clean = re.sub(r"[^A-Za-z0-9_-]", "-", registry_table)
    name = f"{clean}-events"
    if len(name) <= 64 and clean == registry_table:
        return name
    return f"{clean[:45]}-{hashlib.sha256(registry_table.encode()).hexdigest()[:10]}-events"


#: The registry handler's rule for SageMaker's model package events (`register.sagemaker`): the
#: approval changes made in SageMaker (Studio) of the package versions the pipelines created,
#: which name their model in CustomerMetadataProperties. SageMaker sends its events to the default
#: bus ("Events that Amazon SageMaker AI sends to Amazon EventBridge", SageMaker Developer Guide:
#: SageMaker model package state change).
MODEL_PACKAGE_EVENTS = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
                        "detail": {"CustomerMetadataProperties": {"mlops:model": [{"exists": True}]}}}


def _rule_to_registry(t: Template, logical: str, permission: str, rule: dict) -> None:
    """An EventBridge rule whose target is the registry's function (retried for a day, then its
    dead-letter queue), and the permission that lets the rule invoke it."""
    t.add(logical, "AWS::Events::Rule", {**rule, "State": "ENABLED", "Targets": [{
        "Id": "registry", "Arn": get_att("RegistryHandler", "Arn"),
        "DeadLetterConfig": {"Arn": get_att("RegistryDeadLetterQueue", "Arn")},
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}}]})
    t.add(permission, "AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction", "FunctionName": ref("RegistryHandler"), "Principal": "events.amazonaws.com",
        "SourceArn": get_att(logical, "Arn")})


def _registry_handler(t: Template, platform: PlatformNames) -> None:
    table = platform.data["registry_table"]
    name = handler_names(table)
    kms = platform.kms_key
    t.parameter("RegistryHandlerBucket", "S3 bucket holding the registry handler's zip (written by `mlopsc bootstrap "
                "platform --handler-zip FILE`; any bucket in this region the deploying role can read)",
                AllowedPattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    t.parameter("RegistryHandlerKey", "Key of the registry handler's zip in that bucket",
                Default=package.handler_key(), MinLength=1)
    table_arn = get_att("RegistryTable", "Arn")
    queue = {"QueueName": f"{name}-dead-letters", "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
             "Tags": cfn.tags(TAGS)}
    if kms:
        queue.update(KmsMasterKeyId=kms)
    else:
        queue.update(SqsManagedSseEnabled=True)
    # Retained, like the registry log group below: the events the registry could not record, and
    # what it did record, are what an operator reads to repair the registry.
    t.add("RegistryDeadLetterQueue", "AWS::SQS::Queue", queue, retain=True, checkov=[] if kms else [
        ("CKV_AWS_27", "encrypted with SQS managed keys (SSE-SQS; checkov reads only KmsMasterKeyId): EventBridge "
                       "cannot send dead letters to a queue under the AWS managed KMS key; set kms_key in the "
                       "platform file to use a customer managed key")])
    t.add("RegistryDeadLetterQueuePolicy", "AWS::SQS::QueuePolicy", {
        "Queues": [ref("RegistryDeadLetterQueue")],
        "PolicyDocument": cfn.document([
            {"Sid": "EventsThatCouldNotBeDelivered", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
             "Action": "sqs:SendMessage", "Resource": get_att("RegistryDeadLetterQueue", "Arn"),
             "Condition": {"ArnEquals": {"aws:SourceArn": [get_att("RegistryEventsRule", "Arn"),
                                                           get_att("RegistryModelPackagesRule", "Arn")]}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
             "Resource": get_att("RegistryDeadLetterQueue", "Arn"), "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ])})
    t.add("RegistryHandlerLogGroup", "AWS::Logs::LogGroup",
          cfn.log_group_properties(f"/aws/lambda/{name}", kms, TAGS), checkov=cfn.log_group_skips(kms), retain=True)
    statements = [
        cfn.statement("RegistryItems", ["dynamodb:GetItem", "dynamodb:UpdateItem"], table_arn),
        cfn.statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], get_att("RegistryHandlerLogGroup", "Arn")),
        cfn.statement("DeadLetters", ["sqs:SendMessage"], get_att("RegistryDeadLetterQueue", "Arn")),
        cfn.statement("XRayTracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    ]
    if kms:
        # The function's environment and the dead-letter queue are encrypted with the platform's key.
        statements.append(cfn.statement("PlatformKey", ["kms:Decrypt", "kms:GenerateDataKey"], kms))
    t.add("RegistryHandlerRole", "AWS::IAM::Role", {
        "RoleName": name,
        "Description": "The registry's Lambda function: records the pipelines' events in the registry table",
        "AssumeRolePolicyDocument": cfn.service_trust(["lambda.amazonaws.com"]),
        "Policies": [{"PolicyName": "registry-handler", "PolicyDocument": cfn.document(statements)}],
        "Tags": cfn.tags(TAGS)})
    function = {
        "FunctionName": name,
        "Description": "mlops registry: keeps runs, versions and deployments current from the pipelines' events",
        "Runtime": HANDLER_RUNTIME,
        "Handler": package.HANDLER,
        "Code": {"S3Bucket": ref("RegistryHandlerBucket"), "S3Key": ref("RegistryHandlerKey")},
        "Role": get_att("RegistryHandlerRole", "Arn"),
        "MemorySize": 256,
        "Timeout": 30,
        "ReservedConcurrentExecutions": HANDLER_CONCURRENCY,
        "DeadLetterConfig": {"TargetArn": get_att("RegistryDeadLetterQueue", "Arn")},
        "Environment": {"Variables": {package.TABLE_VARIABLE: table}},
        "LoggingConfig": {"LogGroup": ref("RegistryHandlerLogGroup")},
        "TracingConfig": {"Mode": "Active"},
        "Tags": cfn.tags(TAGS),
    }
    skips = [("CKV_AWS_117", "the function calls only DynamoDB's and CloudWatch's public endpoints; in a VPC it would "
                             "need VPC endpoints the platform does not make, for no data it holds")]
    if kms:
        function["KmsKeyArn"] = kms
    else:
        skips.append(("CKV_AWS_173", "its one variable is the table's name, no secret; " + NO_CMK))
    t.add("RegistryHandler", "AWS::Lambda::Function", function, checkov=skips)
    bus = platform.event_bus
    _rule_to_registry(t, "RegistryEventsRule", "RegistryHandlerPermission", {
        "Name": name,
        "Description": "Every pipeline event (source mlops.<model>) to the registry's Lambda function",
        "EventBusName": bus if bus == "default" else ref("EventBus"),
        "EventPattern": {"source": [{"prefix": "mlops."}]}})
    _rule_to_registry(t, "RegistryModelPackagesRule", "RegistryModelPackagesPermission", {
        "Name": name.removesuffix("-events") + "-models",  # as long as `name`, which fits
        "Description": "Approval changes of the pipelines' SageMaker model package versions to the registry's Lambda function",
        "EventBusName": "default",
        "EventPattern": MODEL_PACKAGE_EVENTS})
    t.output("RegistryHandlerArn", get_att("RegistryHandler", "Arn"), "the registry's Lambda function")
    t.output("RegistryDeadLetterQueueUrl", ref("RegistryDeadLetterQueue"), "events the registry could not record")
