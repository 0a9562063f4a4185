"""Everything the ASL templates need that is computed rather than wired: names, ARNs, paths,
and the Parameters of each service call, built as data. Templates only place these values
(each through `tojson`) and connect the states.

Runtime values use the JSONPath form (`"Key.$": "..."`); the stage contract's run id is the
execution name, and names that must be unique per attempt (SageMaker jobs, models, endpoint
configs) end with a token cut from States.UUID(), because a retried create with the same name
would fail.
"""

from __future__ import annotations

import json

from compiler import names
from compiler.model import ModelConfig, Stage
from compiler.aws_data import model_monitor

#: The first group of a UUID: 8 hex characters, new on every evaluation (every retry).
TOKEN = "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0)"
RUN_ID = "$$.Execution.Name"
POINTERS = "$.pointers.Item"
CONTAINER = "main"
#: Where SageMaker jobs find and leave files (uploaded to MLOPS_OUTPUT_URI, KMS-encrypted).
PROCESSING_OUTPUT = "/opt/ml/processing/output"
#: The one production variant of the endpoints the deploy pipeline creates.
SAGEMAKER_VARIANT = "AllTraffic"


class Naming:
    """Names and locations of one model in one environment."""

    def __init__(self, config: ModelConfig, run_id: str = RUN_ID, pointers: str = POINTERS):
        self.config = config
        self.platform = config.platform
        #: JSONPaths of the run id and the pointers item: a Distributed Map's child executions
        #: see them under BatchInput instead.
        self.run_id = run_id
        self.pointers = pointers

    def image(self, runtime: str) -> str:
        return f"{self.pointers}.images.M['{runtime}'].S"

    # -- registry keys (see README "Registry items") --------------------------------------
    @property
    def model_key(self) -> str:
        return f"MODEL#{self.config.name}"

    @property
    def pointers_key(self) -> str:
        return f"POINTERS#{self.config.environment}"

    @property
    def deployment_key(self) -> str:
        return f"DEPLOYMENT#{self.config.environment}"

    def version_key_prefix(self) -> str:
        return f"VERSION#{self.config.environment}#"

    def key(self, sort_key: str) -> dict:
        return {"pk": {"S": self.model_key}, "sk": {"S": sort_key}}

    # -- ARNs and names -------------------------------------------------------------------
    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.platform.region if regional else ""
        return f"arn:{self.platform.partition}:{service}:{region}:{self.platform.account}:{resource}"

    def state_machine(self, pipeline: str) -> str:
        return names.state_machine(self.config.name, self.config.environment, pipeline)

    def state_machine_arn(self, pipeline: str) -> str:
        return self.arn("states", f"stateMachine:{self.state_machine(pipeline)}")

    @property
    def state_machine_log_group(self) -> str:
        """CloudWatch Logs group of the model's state machines (the vendedlogs prefix keeps the
        log group's resource policy small, as Step Functions recommends)."""
        return f"/aws/vendedlogs/states/mlops/{self.config.name}-{self.config.environment}"

    @property
    def task_log_group(self) -> str:
        """CloudWatch Logs group of the model's Fargate tasks."""
        return f"/mlops/{self.config.name}/{self.config.environment}"

    def repository(self, runtime: str) -> str:
        return f"{self.config.name}/{runtime}"

    def registry_host(self) -> str:
        suffix = "amazonaws.com.cn" if self.platform.partition == "aws-cn" else "amazonaws.com"
        return f"{self.platform.account}.dkr.ecr.{self.platform.region}.{suffix}"

    def task_family(self, pipeline: str, stage: str) -> str:
        return names.fit(f"{self.config.name}-{self.config.environment}-{pipeline}-{stage}", names.LIMITS["task_family"])

    # -- S3 locations ---------------------------------------------------------------------
    def run_prefix(self, pipeline: str) -> str:
        """Key prefix of one run's files; `{}` stands for the run id (States.Format). The
        environment is part of it: run ids are execution names, unique per state machine only,
        and apply names the on-commit run of every environment alike, so staging's and prod's
        runs in one artifact bucket would otherwise write the same objects."""
        return f"{self.config.name}/{self.config.environment}/{pipeline}/{{}}/"

    def stage_output(self, pipeline: str, stage: str) -> str:
        """States.Format expression for a stage's output URI."""
        return states_format(f"s3://{self.platform.artifact_bucket}/{self.run_prefix(pipeline)}{stage}/", self.run_id)

    # -- monitoring (README, "Monitoring") -------------------------------------------------
    @property
    def monitor_prefix(self) -> str:
        """S3 URI under which the monitor keeps this environment's captured data and reports."""
        return f"s3://{self.platform.artifact_bucket}/{self.config.name}/{self.config.environment}/monitor/"

    @property
    def capture_uri(self) -> str:
        """Where serving captures requests: the endpoint's DestinationS3Uri; MLOPS_CAPTURE_URI of
        Lambda and ECS serving code."""
        return self.monitor_prefix + "capture/"

    @property
    def captured_requests_uri(self) -> str:
        """The folder whose `<yyyy>/<mm>/<dd>/<hh>/` folders hold the captured requests: the drift
        job's MLOPS_CAPTURE_URI. Our serving code writes them right under `capture_uri`; SageMaker's
        data capture writes them under `<DestinationS3Uri><endpoint name>/<variant name>/`
        ("Capture data from real-time endpoint", model-monitor-data-capture-endpoint.html, "View
        Captured Data")."""
        deploy = self.config.deploy
        if deploy is not None and deploy.endpoint is not None:
            return f"{self.capture_uri}{deploy.endpoint.name}/{SAGEMAKER_VARIANT}/"
        return self.capture_uri

    @property
    def monitor_reports_uri(self) -> str:
        return self.monitor_prefix + "reports/"

    @property
    def metrics_namespace(self) -> str:
        """CloudWatch namespace of the metrics the model's own code publishes (drift job,
        ecs-service health): one per model, so the task role may write only its own."""
        return f"mlops/{self.config.name}"

    @property
    def monitoring_schedule(self) -> str:
        return names.monitoring_schedule(self.config.name, self.config.environment)

    def alarm(self, kind: str) -> str:
        return names.alarm(self.config.name, self.config.environment, kind)

    @property
    def drift_key_prefix(self) -> str:
        """`DRIFT#<env>#`, then the cool-down window (the UTC date, or date and hour)."""
        return f"DRIFT#{self.config.environment}#"

    def monitor_image(self) -> str:
        """SageMaker Model Monitor's analyzer image in the platform's region."""
        return model_monitor.analyzer_image(self.platform.region)

    # -- names unique per attempt ---------------------------------------------------------
    def job_name(self, kind: str, limit: str = "sagemaker_job") -> str:
        prefix = names.job_prefix(self.config.name, kind, limit)
        return states_format(f"{prefix}-{{}}", TOKEN)

    def tags(self, pipeline: str) -> list:
        tags = {**self.config.tags, "mlops:model": self.config.name,
                "mlops:environment": self.config.environment, "mlops:pipeline": pipeline}
        return [{"Key": key, "Value": value} for key, value in sorted(tags.items())] + \
               [{"Key": "mlops:run-id", "Value.$": self.run_id}]


def states_format(template: str, *arguments: str) -> str:
    """A States.Format call. Literal text is quoted as the intrinsic grammar wants:
    backslash, quote and braces are escaped; `{}` placeholders are kept."""
    escaped = template.replace("\\", "\\\\").replace("'", "\\'")
    escaped = escaped.replace("{}", "\x00").replace("{", "\\{").replace("}", "\\}").replace("\x00", "{}")
    return f"States.Format('{escaped}', {', '.join(arguments)})"


def stage_environment(naming: Naming, pipeline: str, stage: Stage, input_uri: str,
                      params: str | None, extra: dict | None = None) -> dict:
    """The stage contract as (name -> literal) and (name -> JSONPath/intrinsic) maps."""
    config = naming.config
    literal = {**stage.environment, "MLOPS_MODEL": config.name, "MLOPS_ENVIRONMENT": config.environment,
               "MLOPS_PIPELINE": pipeline, "MLOPS_STAGE": stage.name}
    dynamic = {"MLOPS_RUN_ID": naming.run_id, "MLOPS_OUTPUT_URI": naming.stage_output(pipeline, stage.name)}
    if input_uri.startswith("s3://"):
        literal["MLOPS_INPUT_URI"] = input_uri
    else:
        dynamic["MLOPS_INPUT_URI"] = input_uri
    if params is not None:
        (dynamic if params.startswith("States.") else literal)["MLOPS_PARAMS"] = params
    if stage.secrets and stage.compute == "sagemaker":
        # SageMaker jobs cannot mount secrets: the container resolves these ARNs itself.
        literal["MLOPS_SECRETS"] = json.dumps(dict(stage.secrets), sort_keys=True)
    for key, value in (extra or {}).items():
        (dynamic if value.startswith(("$", "States.")) else literal)[key] = value
    return {"literal": dict(sorted(literal.items())), "dynamic": dict(sorted(dynamic.items()))}


def ecs_run_task(naming: Naming, pipeline: str, stage: Stage, environment: dict) -> dict:
    platform = naming.platform
    variables = [{"Name": k, "Value": v} for k, v in environment["literal"].items()] + \
                [{"Name": k, "Value.$": v} for k, v in environment["dynamic"].items()]
    override = {"Name": CONTAINER, "Environment": variables}
    if stage.command is not None:
        override["Command"] = list(stage.command)
    return {
        "Cluster": platform.ecs_cluster,
        "TaskDefinition.$": f"{naming.pointers}.task_definitions.M['{pipeline}-{stage.name}'].S",
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": list(platform.subnets), "SecurityGroups": list(platform.security_groups),
            "AssignPublicIp": "DISABLED"}},
        "Overrides": {"Cpu": str(stage.cpu), "Memory": str(stage.memory), "ContainerOverrides": [override]},
        "PropagateTags": "TASK_DEFINITION",
        "EnableExecuteCommand": False,
    }


def _sagemaker_environment(environment: dict) -> dict:
    return {**environment["literal"], **{f"{k}.$": v for k, v in environment["dynamic"].items()}}


def _vpc(platform) -> dict:
    return {"Subnets": list(platform.subnets), "SecurityGroupIds": list(platform.security_groups)}


def sagemaker_processing(naming: Naming, pipeline: str, stage: Stage, environment: dict) -> dict:
    platform = naming.platform
    cluster = {"InstanceCount": stage.instance_count, "InstanceType": stage.instance_type,
               "VolumeSizeInGB": stage.volume_gb}
    if platform.kms_key:
        cluster["VolumeKmsKeyId"] = platform.kms_key
    app = {"ImageUri.$": naming.image(stage.runtime)}
    if stage.command is not None:
        app["ContainerEntrypoint"] = list(stage.command)
    output = {"OutputName": "output", "AppManaged": False, "S3Output": {
        "S3Uri.$": naming.stage_output(pipeline, stage.name), "LocalPath": PROCESSING_OUTPUT,
        "S3UploadMode": "EndOfJob"}}
    output_config = {"Outputs": [output]}
    if platform.kms_key:
        output_config["KmsKeyId"] = platform.kms_key
    params = {
        "ProcessingJobName.$": naming.job_name(stage.name),
        "RoleArn": platform.task_role,
        "AppSpecification": app,
        "ProcessingResources": {"ClusterConfig": cluster},
        "ProcessingOutputConfig": output_config,
        "Environment": _sagemaker_environment(environment),
        "StoppingCondition": {"MaxRuntimeInSeconds": stage.timeout_seconds},
        "Tags": naming.tags(pipeline),
    }
    if platform.subnets:
        params["NetworkConfig"] = {"VpcConfig": _vpc(platform), "EnableInterContainerTrafficEncryption": True}
    return params


def _training_common(naming: Naming, stage: Stage, input_uri: str) -> dict:
    """What a training job and a tuning job's training definition share."""
    platform = naming.platform
    resources = {"InstanceType": stage.instance_type, "InstanceCount": stage.instance_count,
                 "VolumeSizeInGB": stage.volume_gb}
    if platform.kms_key:
        resources["VolumeKmsKeyId"] = platform.kms_key
    output = {"S3OutputPath.$": naming.stage_output("retrain", stage.name)}
    if platform.kms_key:
        output["KmsKeyId"] = platform.kms_key
    stopping = {"MaxRuntimeInSeconds": stage.timeout_seconds}
    common = {
        "RoleArn": platform.task_role,
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated",
            ("S3Uri" if input_uri.startswith("s3://") else "S3Uri.$"): input_uri}}}],
        "OutputDataConfig": output,
        "ResourceConfig": resources,
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": stage.spot,
    }
    if stage.spot:
        stopping["MaxWaitTimeInSeconds"] = spot_max_wait(stage)
        common["CheckpointConfig"] = {"S3Uri.$": naming.stage_output("retrain", f"{stage.name}/checkpoints")}
    if platform.subnets:
        common["VpcConfig"] = _vpc(platform)
        common["EnableInterContainerTrafficEncryption"] = True
    return common


def spot_max_wait(stage: Stage) -> int:
    """Spot capacity may take a while: wait up to as long again as the run itself."""
    return 2 * stage.timeout_seconds


def sagemaker_training(naming: Naming, stage: Stage, environment: dict, input_uri: str,
                       hyperparameters: dict | str) -> dict:
    algorithm = {"TrainingImage.$": naming.image(stage.runtime), "TrainingInputMode": "File"}
    if stage.command is not None:
        algorithm["ContainerEntrypoint"] = list(stage.command)
    params = {"TrainingJobName.$": naming.job_name(stage.name), "AlgorithmSpecification": algorithm}
    if isinstance(hyperparameters, str):
        params["HyperParameters.$"] = hyperparameters
    else:
        params["HyperParameters"] = hyperparameters
    params.update(_training_common(naming, stage, input_uri))
    params["Environment"] = _sagemaker_environment(environment)
    params["Tags"] = naming.tags("retrain")
    return params


_STRATEGY = {"bayesian": "Bayesian", "random": "Random", "hyperband": "Hyperband", "grid": "Grid"}
_SCALING = {"auto": "Auto", "linear": "Linear", "log": "Logarithmic"}


def sagemaker_tuning(naming: Naming, tune, hyperparameters: dict, environment: dict, input_uri: str) -> dict:
    stage = tune.stage
    ranges: dict = {"CategoricalParameterRanges": [], "ContinuousParameterRanges": [], "IntegerParameterRanges": []}
    for parameter in tune.parameters:
        if parameter.kind == "categorical":
            ranges["CategoricalParameterRanges"].append({"Name": parameter.name, "Values": list(parameter.values)})
        else:
            bounds = (parameter.min, parameter.max)
            if parameter.kind == "integer":
                bounds = tuple(int(b) for b in bounds)
            key = "IntegerParameterRanges" if parameter.kind == "integer" else "ContinuousParameterRanges"
            ranges[key].append({"Name": parameter.name, "MinValue": str(bounds[0]), "MaxValue": str(bounds[1]),
                                "ScalingType": _SCALING[parameter.scaling]})
    limits = {"MaxParallelTrainingJobs": tune.max_parallel_jobs}
    if tune.max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = tune.max_jobs
    tuned = {p.name for p in tune.parameters}
    algorithm = {"TrainingImage.$": naming.image(stage.runtime), "TrainingInputMode": "File",
                 "MetricDefinitions": [{"Name": tune.objective_metric, "Regex": tune.objective_regex}]}
    definition = {"AlgorithmSpecification": algorithm,
                  "StaticHyperParameters": {k: v for k, v in hyperparameters.items() if k not in tuned}}
    definition.update(_training_common(naming, stage, input_uri))
    definition["Environment"] = _sagemaker_environment(environment)
    return {
        "HyperParameterTuningJobName.$": naming.job_name("hpo", "tuning_job"),
        "HyperParameterTuningJobConfig": {
            "Strategy": _STRATEGY[tune.strategy],
            "HyperParameterTuningJobObjective": {"Type": tune.objective_goal.capitalize(),
                                                 "MetricName": tune.objective_metric},
            "ResourceLimits": limits,
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": "Off",
        },
        "TrainingJobDefinition": definition,
        "Tags": naming.tags("retrain"),
    }


def put_event(naming: Naming, pipeline: str, detail_type: str, detail: dict) -> dict:
    """One EventBridge entry (source mlops.<model>) with the run's identity in its detail."""
    base = {"model": naming.config.name, "environment": naming.config.environment, "pipeline": pipeline,
            "run_id.$": naming.run_id, "execution.$": "$$.Execution.Id"}
    return {"Entries": [{"Source": f"mlops.{naming.config.name}", "DetailType": detail_type,
                         "EventBusName": naming.platform.event_bus, "Detail": {**base, **detail}}]}


def notification(naming: Naming, pipeline: str, label: str, cause: str, extra: dict) -> dict:
    """An SNS message about a failure: a short subject (SNS allows 100 characters), the cause,
    and the whole state (the caught error under `error`, the metrics of a failed gate, ...).
    The whole state because some failures are reached from a Choice, with no error to pass on."""
    config = naming.config
    subject = f"[mlops] {config.name} {config.environment} {pipeline}: {label}"
    return {"TopicArn": naming.platform.notification_topic, "Subject": subject[:100],
            "Message": {"model": config.name, "environment": config.environment, "pipeline": pipeline,
                        "what": cause, **extra, "execution.$": "$$.Execution.Id", "state.$": "$"}}


#: The cool-down window of a drift-started retrain, cut from the execution's start time
#: (ISO 8601 UTC, e.g. `2026-11-26T01:47:28.123Z`). States.StringSplit splits at every one of
#: the characters it is given: at 'T' the first piece is the date, at ':' the date and the hour.
COOLDOWN_WINDOWS = {
    "1d": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)",
    "1h": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, ':'), 0)",
}


def retrain_stages(config: ModelConfig) -> tuple:
    """The retrain pipeline's container stages in run order, the monitor's baseline right after
    train (tune is a job of its own kind, not listed)."""
    retrain = config.retrain
    if retrain is None:
        return ()
    baseline = config.monitor.baseline if config.monitor else None
    stages = []
    for stage in retrain.stages:
        stages.append(stage)
        if stage is retrain.train and baseline is not None:
            stages.append(baseline)
    return tuple(stages)


def container_stages(config: ModelConfig) -> list:
    """(pipeline, stage) of every stage that runs one container as a Fargate task or a SageMaker
    job: retrain's (the baseline among them), the batch job and the drift job. The tune stage
    is not one (its tuning job runs many)."""
    found = [("retrain", stage) for stage in retrain_stages(config)]
    if config.batch:
        found.append(("batch", config.batch.stage))
    if config.drift_job:
        found.append(("drift", config.drift_job))
    return found
