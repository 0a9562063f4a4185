"""The Parameters of the service calls that run a stage's container, as data: a Fargate task
(ECS RunTask), a SageMaker processing, training or tuning job, each given the stage contract's
environment (MLOPS_* variables). The pipelines place them in their Task states."""

from __future__ import annotations

import json

from compiler.model import Stage
from compiler.render.naming import Naming

CONTAINER = "main"
#: Where SageMaker jobs find and leave files (uploaded to MLOPS_OUTPUT_URI, KMS-encrypted).
PROCESSING_OUTPUT = "/opt/ml/processing/output"
#: Where a processing job finds the runtime's code folder: the SageMaker Python SDK's ScriptProcessor
#: puts its code there too (input `code`), so scripts written for the SDK run unchanged.
PROCESSING_CODE = "/opt/ml/processing/input/code"
#: Where a processing job finds a named input, by default under its name.
PROCESSING_INPUT = "/opt/ml/processing/input"


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


def vpc_config(platform) -> dict:
    return {"Subnets": list(platform.subnets), "SecurityGroupIds": list(platform.security_groups)}


def s3_uri(key: str, uri: str) -> dict:
    """`{key: uri}` for an s3:// URI given as is, `{key.$: uri}` for a run-time path or intrinsic."""
    return {key: uri} if uri.startswith("s3://") else {f"{key}.$": uri}


def processing_inputs(inputs: list) -> list:
    """A processing job's ProcessingInputs of a stage's named inputs (dicts of name, uri, mode,
    distribution, path). LocalPath must lie under /opt/ml/processing/ (ProcessingS3Input, SageMaker
    API reference); S3InputMode is File or Pipe there (ProcessingS3InputMode)."""
    return [{"InputName": item["name"], "AppManaged": False, "S3Input": {
        **s3_uri("S3Uri", item["uri"]), "LocalPath": item["path"] or f"{PROCESSING_INPUT}/{item['name']}",
        "S3DataType": "S3Prefix", "S3InputMode": item["mode"] or "File",
        "S3DataDistributionType": item["distribution"] or "FullyReplicated"}} for item in inputs]


def processing_outputs(naming: Naming, pipeline: str, stage: Stage, outputs: list) -> list:
    """A processing job's outputs: the stage's named outputs (dicts of name, uri, path), or without
    any, the one `output` of its whole folder."""
    if not outputs:
        return [{"OutputName": "output", "AppManaged": False, "S3Output": {
            "S3Uri.$": naming.stage_output(pipeline, stage.name), "LocalPath": PROCESSING_OUTPUT,
            "S3UploadMode": "EndOfJob"}}]
    return [{"OutputName": item["name"], "AppManaged": False, "S3Output": {
        **s3_uri("S3Uri", item["uri"]), "LocalPath": item["path"] or f"{PROCESSING_OUTPUT}/{item['name']}",
        "S3UploadMode": "EndOfJob"}} for item in outputs]


def sagemaker_processing(naming: Naming, pipeline: str, stage: Stage, environment: dict,
                         io: dict | None = None) -> dict:
    """`io`: the stage's named inputs and outputs ({"inputs": [...], "outputs": [...]}), if any."""
    platform = naming.platform
    cluster = {"InstanceCount": stage.instance_count, "InstanceType": stage.instance_type,
               "VolumeSizeInGB": stage.volume_gb}
    if platform.kms_key:
        cluster["VolumeKmsKeyId"] = platform.kms_key
    app = naming.image_parameter("ImageUri", stage.runtime)
    if stage.command is not None:
        app["ContainerEntrypoint"] = list(stage.command)
    io = io or {}
    output_config = {"Outputs": processing_outputs(naming, pipeline, stage, io.get("outputs") or [])}
    if platform.kms_key:
        output_config["KmsKeyId"] = platform.kms_key
    params = {
        "ProcessingJobName.$": naming.job_name(stage.name),
        "RoleArn": platform.task_role,
        "AppSpecification": app,
        "ProcessingResources": {"ClusterConfig": cluster},
        **_processing_inputs(naming, stage, io.get("inputs") or []),
        "ProcessingOutputConfig": output_config,
        "Environment": _sagemaker_environment(environment),
        "StoppingCondition": {"MaxRuntimeInSeconds": stage.timeout_seconds},
        "Tags": naming.tags(pipeline),
    }
    if platform.subnets:
        params["NetworkConfig"] = {"VpcConfig": vpc_config(platform), "EnableInterContainerTrafficEncryption": True}
    return params


def _processing_inputs(naming: Naming, stage: Stage, named: list) -> dict:
    """ProcessingInputs: the runtime's code folder (a prebuilt image's), then the stage's named inputs."""
    inputs = _code_inputs(naming, stage) + processing_inputs(named)
    return {"ProcessingInputs": inputs} if inputs else {}


def _code_inputs(naming: Naming, stage: Stage) -> list:
    """A prebuilt image's code folder, downloaded before the container starts (ProcessingInput,
    SageMaker API Reference: S3Input with S3DataType S3Prefix and S3InputMode File)."""
    if naming.config.runtime(stage.runtime).code is None:
        return []
    return [{"InputName": "code", "AppManaged": False, "S3Input": {
        "S3Uri.$": naming.code_uri(stage.runtime), "LocalPath": PROCESSING_CODE, "S3DataType": "S3Prefix",
        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}]


def training_channels(input_uri: str, channels: list | None) -> list:
    """InputDataConfig: one channel per named input (dicts of name, uri, content_type, mode,
    distribution), or without any, the one `train` channel of MLOPS_INPUT_URI."""
    if not channels:
        return [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated", **s3_uri("S3Uri", input_uri)}}}]
    found = []
    for item in channels:
        channel = {"ChannelName": item["name"], "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": item["distribution"] or "FullyReplicated",
            **s3_uri("S3Uri", item["uri"])}}}
        if item["content_type"]:
            channel["ContentType"] = item["content_type"]
        if item["mode"]:
            # The channel's own mode, over AlgorithmSpecification's TrainingInputMode (SageMaker API
            # reference, Channel: "If you don't set a value for InputMode, SageMaker uses the value
            # set for TrainingInputMode").
            channel["InputMode"] = item["mode"]
        found.append(channel)
    return found


def _training_common(naming: Naming, stage: Stage, input_uri: str, channels: list | None = None) -> dict:
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
        "InputDataConfig": training_channels(input_uri, channels),
        "OutputDataConfig": output,
        "ResourceConfig": resources,
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": stage.spot,
    }
    if stage.spot:
        stopping["MaxWaitTimeInSeconds"] = spot_max_wait(stage)
        common["CheckpointConfig"] = {"S3Uri.$": naming.stage_output("retrain", f"{stage.name}/checkpoints")}
    if platform.subnets:
        common["VpcConfig"] = vpc_config(platform)
        common["EnableInterContainerTrafficEncryption"] = True
    return common


def spot_max_wait(stage: Stage) -> int:
    """Spot capacity may take a while: wait up to as long again as the run itself."""
    return 2 * stage.timeout_seconds


def sagemaker_training(naming: Naming, stage: Stage, environment: dict, input_uri: str,
                       hyperparameters: dict | str, channels: list | None = None) -> dict:
    algorithm = {**naming.image_parameter("TrainingImage", stage.runtime), "TrainingInputMode": "File"}
    if stage.command is not None:
        algorithm["ContainerEntrypoint"] = list(stage.command)
    params = {"TrainingJobName.$": naming.job_name(stage.name), "AlgorithmSpecification": algorithm}
    if isinstance(hyperparameters, str):
        params["HyperParameters.$"] = hyperparameters
    else:
        params["HyperParameters"] = hyperparameters
    params.update(_training_common(naming, stage, input_uri, channels))
    params["Environment"] = _sagemaker_environment(environment)
    params["Tags"] = naming.tags("retrain")
    return params


_STRATEGY = {"bayesian": "Bayesian", "random": "Random", "hyperband": "Hyperband", "grid": "Grid"}

_SCALING = {"auto": "Auto", "linear": "Linear", "log": "Logarithmic"}


def sagemaker_tuning(naming: Naming, tune, hyperparameters: dict, environment: dict, input_uri: str,
                     channels: list | None = None) -> dict:
    """`channels`: the train stage's named inputs (its tuning job runs train's training jobs)."""
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
    algorithm = {**naming.image_parameter("TrainingImage", stage.runtime), "TrainingInputMode": "File",
                 "MetricDefinitions": [{"Name": tune.objective_metric, "Regex": tune.objective_regex}]}
    definition = {"AlgorithmSpecification": algorithm,
                  "StaticHyperParameters": {k: v for k, v in hyperparameters.items() if k not in tuned}}
    definition.update(_training_common(naming, stage, input_uri, channels))
    definition["Environment"] = _sagemaker_environment(environment)
    return {
        "HyperParameterTuningJobName.$": naming.job_name("hpo", "tuning_job"),
        "HyperParameterTuningJobConfig": {
            "Strategy": _STRATEGY[tune.strategy],
            "HyperParameterTuningJobObjective": {"Type": tune.objective_goal.capitalize(),
                                                 "MetricName": tune.objective_metric},
            "ResourceLimits": limits,
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": "Auto" if tune.early_stopping else "Off",
        },
        "TrainingJobDefinition": definition,
        "Tags": naming.tags("retrain"),
    }
