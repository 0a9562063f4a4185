"""The task role's policy: derived from the typed config (the data its stages read and write, the
images they pull, the logs, metrics and secrets), for Fargate tasks, SageMaker jobs and serving."""

from __future__ import annotations

from compiler import names
from compiler.model import ModelConfig, Stage
from compiler.render.alarms import MODEL_MONITOR_NAMESPACE
from compiler.render.iam.policy_document import UNSCOPABLE_CONDITIONS, Policy, iam_literal, list_bucket
from compiler.render.iam.service_call import Scope, allow_kms_key
from compiler.render.naming import Naming
from compiler.render.stages import container_stages


def task_policy(naming: Naming) -> Policy:
    config = naming.config
    scope = Scope(naming)
    policy, platform = scope.policy, config.platform
    model = config.name
    stages = _container_stages(config)
    # The model's prefix of the artifact bucket: stage outputs, checkpoints, model artifacts.
    bucket = platform.artifact_bucket
    policy.allow("ArtifactPrefix", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts",
                                    "s3:PutObject"], [scope.s3(bucket, f"{iam_literal(model)}/*")])
    list_bucket(policy, "ListArtifactPrefix", scope.s3(bucket), f"{model}/")
    if config.retrain:
        _read_uri(scope, "TrainingData", config.retrain.data_source)
        for index, uri in enumerate(_stage_input_uris(config), 1):
            _read_uri(scope, f"StageInput{index}", uri)
    if config.batch:
        _read_uri(scope, "BatchInput", config.batch.input)
        out_bucket, out_prefix = _split_uri(config.batch.output)
        policy.allow("WriteBatchOutput", ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
                     [scope.s3(out_bucket, iam_literal(out_prefix) + "*")])
    # Images: the repositories of the runtimes the tasks, jobs and serving containers run.
    repositories = _pulled_repositories(scope, stages)
    if repositories:
        policy.allow("PullImages", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                     repositories)
        policy.allow_unscopable("EcrLogin")
    # Logs: the Fargate tasks' group; SageMaker's own groups, streams of the model's jobs only.
    fargate = any(stage.compute == "fargate" for _, stage in stages) or \
        bool(config.deploy and config.deploy.target == "ecs-service")
    if fargate:
        group = scope.arn("logs", f"log-group:{iam_literal(naming.task_log_group)}")
        policy.allow("WriteTaskLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [group, f"{group}:*"])
    sagemaker_groups = _sagemaker_log_groups(config, stages)
    for group, streams in sorted(sagemaker_groups.items()):
        group_arn = scope.arn("logs", f"log-group:{iam_literal(group)}")
        policy.allow("SageMakerLogGroups", ["logs:CreateLogGroup", "logs:DescribeLogStreams"], [group_arn, f"{group_arn}:*"])
        policy.allow("WriteSageMakerLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                     [f"{group_arn}:log-stream:{stream}" for stream in streams])
    if sagemaker_groups:
        policy.allow_unscopable("SageMakerMetrics")
        if platform.subnets:
            _vpc_access(scope)
    _monitor_metrics(scope)
    _async_inference(scope, config)
    _secrets(scope, stages)
    if platform.kms_key:
        allow_kms_key(scope, policy, platform.kms_key, "task")
    return policy


def _async_inference(scope: Scope, config: ModelConfig) -> None:
    """An asynchronous endpoint runs as the task role: it reads the requests its callers upload
    (anywhere: their location is the InvokeEndpointAsync caller's InputLocation, unknown here, so
    the callers' own buckets must grant it), writes the responses and failures to their prefixes
    and publishes to the notification topics (SageMaker developer guide, "Asynchronous inference":
    "Prerequisites": the execution role needs s3:PutObject on the output and sns:Publish)."""
    endpoint = config.deploy.endpoint if config.deploy else None
    asynchronous = endpoint.asynchronous if endpoint else None
    if not asynchronous:
        return
    outputs = [_split_uri(uri) for uri in (asynchronous.output, asynchronous.failure_output) if uri]
    scope.policy.allow("WriteAsyncResponses",
                       ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
                       [scope.s3(bucket, iam_literal(prefix) + "*") for bucket, prefix in outputs])
    topics = sorted({topic for topic in (asynchronous.success_topic, asynchronous.error_topic) if topic})
    if topics:
        scope.policy.allow("NotifyAsyncResults", ["sns:Publish"], topics)


def _pulled_repositories(scope: Scope, stages: list) -> list:
    """The ECR repositories the role pulls from: the model's own (built runtimes), a prebuilt
    image's by digest wherever it runs, and an AWS-provided image's only where ECS pulls it (a
    Fargate stage, an ecs-service): SageMaker pulls its own images with its own credentials
    ("SageMaker uses its own SageMaker account credentials to pull and access built-in algorithms",
    SageMaker API Reference, AlgorithmSpecification)."""
    config, naming = scope.config, scope.naming
    pulled = {(stage.runtime, stage.compute) for _, stage in stages}
    if config.deploy and config.deploy.target != "lambda":  # Lambda pulls with the deploying role
        pulled.add((config.deploy.runtime, "fargate" if config.deploy.target == "ecs-service" else "sagemaker"))
    repositories = set()
    for name, compute in pulled:
        runtime = config.runtime(name)
        if runtime.built:
            repositories.add(scope.arn("ecr", f"repository/{iam_literal(naming.repository(name))}"))
        elif runtime.image.pinned == "digest" or compute == "fargate":
            repositories.add(iam_literal(runtime.image.repository_arn))
    return sorted(repositories)


def _container_stages(config: ModelConfig) -> list[tuple[str, Stage]]:
    """(pipeline, stage) for every container stage: retrain stages (the monitor's baseline among
    them), the tune stage, batch, the drift job."""
    stages = container_stages(config)
    if config.retrain and config.retrain.tune:
        stages.append(("retrain", config.retrain.tune.stage))
    return stages


def _monitor_metrics(scope: Scope) -> None:
    """Metrics the monitor reads: the model's own code publishes drift distances (its drift job)
    and request metrics (an ecs-service's serving code) in the model's namespace; Model Monitor's
    jobs, which run as this role, publish theirs in SageMaker's."""
    config = scope.config
    deploy, monitor = config.deploy, config.monitor
    serving_metrics = bool(monitor and deploy and deploy.target == "ecs-service")
    if config.drift_job or serving_metrics:
        scope.policy.allow_unscopable("ModelMetrics",
                                      {"StringEquals": {"cloudwatch:namespace": [scope.naming.metrics_namespace]}})
    if config.uses_model_monitor:
        scope.policy.allow_unscopable("SageMakerMetrics", {"StringLike": {"cloudwatch:namespace": [
            *UNSCOPABLE_CONDITIONS["SageMakerMetrics"]["StringLike"]["cloudwatch:namespace"],
            MODEL_MONITOR_NAMESPACE]}})


def _sagemaker_log_groups(config: ModelConfig, stages: list) -> dict[str, list]:
    """SageMaker's log group -> log stream patterns of this model's jobs and endpoint. A job's
    streams are `<job name>/algo-1-...`, the name `<prefix>-<run token>` (8 characters: `?` each,
    so that another model's longer names never match); a tuning job's training jobs are named
    `<tuning job>-<index>-<hash>`."""
    token = "?" * names.RUN_TOKEN_LENGTH
    groups: dict[str, set] = {}
    for pipeline, stage in stages:
        if stage.compute != "sagemaker":
            continue
        if stage.kind == "tuning":
            prefix = names.job_prefix(config.name, "hpo", "tuning_job")
            group, stream = "/aws/sagemaker/TrainingJobs", f"{iam_literal(prefix)}-{token}-*"
        else:
            # batch mode transform runs a transform job, its streams `<job name>/<instance id>-<time>`
            transform = pipeline == "batch" and config.batch.mode == "transform"
            kind = "TrainingJobs" if stage.kind == "training" else "TransformJobs" if transform else "ProcessingJobs"
            group, stream = f"/aws/sagemaker/{kind}", f"{iam_literal(names.job_prefix(config.name, stage.name))}-{token}/*"
        groups.setdefault(group, set()).add(stream)
    if config.deploy and config.deploy.target == "sagemaker-endpoint":
        groups.setdefault(f"/aws/sagemaker/Endpoints/{config.deploy.endpoint.name}", set()).add("*")
    return {group: sorted(streams) for group, streams in groups.items()}


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def _stage_input_uris(config: ModelConfig) -> list:
    """The s3:// URIs retrain stages name as inputs (the stage graph's `inputs.<name>.from`) other
    than `data.source`, which the stages read already."""
    uris = {item.uri for node in config.retrain.graph.values() for item in node.inputs if item.uri}
    return sorted(uris - {config.retrain.data_source})


def _read_uri(scope: Scope, what: str, uri: str) -> None:
    """Read the objects under an S3 URI the config names, and list that prefix."""
    bucket, prefix = _split_uri(uri)
    scope.policy.allow(f"Read{what}", ["s3:GetObject"], [scope.s3(bucket, iam_literal(prefix) + "*")])
    list_bucket(scope.policy, f"List{what}", scope.s3(bucket), prefix)


def _vpc_access(scope: Scope) -> None:
    """SageMaker jobs and endpoints in the platform's subnets: network interfaces made with the
    task role, which is their SageMaker execution role (SageMaker Developer Guide, "Give SageMaker
    AI Training Jobs Access to Resources in Your Amazon VPC": the execution role needs
    ec2:CreateNetworkInterface(Permission), ec2:DeleteNetworkInterface(Permission) and the
    Describe calls). Interfaces are new at every job, so only the subnets and groups can be named;
    managing an interface is limited to those in the platform's subnets by the `ec2:Subnet`
    condition key (an ARN; Service Authorization Reference, Amazon EC2, network-interface), so
    the model's code cannot touch the interfaces of anything else in the account."""
    platform = scope.platform
    interfaces = scope.arn("ec2", "network-interface/*")
    subnets = [scope.arn("ec2", f"subnet/{s}") for s in platform.subnets]
    scope.policy.allow("SageMakerNetworkInterfaces", ["ec2:CreateNetworkInterface"],
                       [interfaces, *subnets,
                        *(scope.arn("ec2", f"security-group/{g}") for g in platform.security_groups)])
    scope.policy.allow("ManageNetworkInterfaces", ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
                                                   "ec2:DeleteNetworkInterfacePermission"], [interfaces],
                       {"ArnEquals": {"ec2:Subnet": subnets}})
    scope.policy.allow_unscopable("DescribeNetwork")


def _secrets(scope: Scope, stages: list) -> None:
    """The secrets stages reference: injected by ECS (execution role) or read by the container."""
    for _, stage in stages:
        for arn in stage.secrets.values():
            if arn.split(":")[2] == "secretsmanager":
                # A secret's full ARN ends with 6 random characters; a partial ARN matches with them.
                scope.policy.allow("ReadSecrets", ["secretsmanager:GetSecretValue"],
                                   [iam_literal(arn), iam_literal(arn) + "-??????"])
            else:
                scope.policy.allow("ReadParameters", ["ssm:GetParameter", "ssm:GetParameters"], [iam_literal(arn)])
