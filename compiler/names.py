"""Names of the AWS resources derived from a model's config, each within its service's limit.

Used by the checks (a name that cannot fit is an error) and by the renderer (to emit them).
Names are readable; a short deterministic hash appears only when a limit forces truncation.
"""

from __future__ import annotations

import hashlib
import json

#: Per-attempt token in job names: the first group of States.UUID(), 8 hex characters.
RUN_TOKEN_LENGTH = 8

LIMITS = {
    "state_machine": 80,
    "event_rule": 64,
    "sagemaker_job": 63,
    "tuning_job": 32,
    "sagemaker_model": 63,
    "endpoint_config": 63,
    "endpoint": 63,
    "lambda_function": 64,
    "ecs_service": 255,
    "task_family": 255,
    "iam_role": 64,
    "alarm": 255,
    "state": 80,  # a state's name (Step Functions API reference, StateExitedEventDetails: name)
    "dashboard": 255,
    "monitoring_schedule": 63,
}

#: In the platform's `roles.pipeline` and `roles.task` ARNs, this placeholder in the role name
#: stands for the model's name: one role per model, so that each role's policy can be scoped to
#: that model's resources. Without it, every model shares the role.
MODEL_PLACEHOLDER = "{model}"


def fit(name: str, limit: int) -> str:
    """`name` if it fits, else a prefix of it and 6 hex of its sha256, exactly `limit` long."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


def state_machine(model: str, environment: str, pipeline: str) -> str:
    return f"{model}-{environment}-{pipeline}"


def event_rule(model: str, environment: str, pipeline: str, kind: str) -> str:
    return fit(f"{model}-{environment}-{pipeline}-{kind}", LIMITS["event_rule"])


def alarm(model: str, environment: str, kind: str) -> str:
    """A monitor alarm: `error-rate`, `latency-p99`, `no-invocations` or `drift-<feature>`."""
    return fit(f"{model}-{environment}-{kind}", LIMITS["alarm"])


def backlog_alarm(endpoint: str) -> str:
    """The alarm that scales an asynchronous endpoint out from zero instances (its deployment puts it)."""
    return fit(f"{endpoint}-backlog-without-capacity", LIMITS["alarm"])


def dashboard(model: str, environment: str) -> str:
    return fit(f"{model}-{environment}", LIMITS["dashboard"])


def monitoring_schedule(model: str, environment: str) -> str:
    return fit(f"{model}-{environment}-drift", LIMITS["monitoring_schedule"])


def job_prefix(model: str, kind: str, limit_name: str = "sagemaker_job") -> str:
    """The fixed part of a per-run job name; the run token and a '-' follow it."""
    return fit(f"{model}-{kind}", LIMITS[limit_name] - RUN_TOKEN_LENGTH - 1)


def stem(model: str, environment: str) -> str:
    """`<model>-<environment>`: the start of every name this module derives for one model in one
    environment, so that staging and prod in one account never share a live resource. (Two pairs
    with the same stem, e.g. model `churn` in `eu-prod` and `churn-eu` in `prod`, would: the
    `live-names` rule refuses them.)"""
    return f"{model}-{environment}"


# An explicitly configured serving name (endpoint.name, function.name, service.name) is the live
# resource's exact name, used as given in every environment that has it: it names something
# outside mlopsc's naming (an endpoint clients already call). The `live-names` rule refuses one
# that two environments, or two models, would share in the same account and region.

def endpoint(model: str, environment: str, configured: str | None) -> str:
    return configured or fit(stem(model, environment), LIMITS["endpoint"])


def lambda_function(model: str, environment: str, configured: str | None) -> str:
    return configured or fit(stem(model, environment), LIMITS["lambda_function"])


def ecs_service(model: str, environment: str, configured: str | None) -> str:
    return configured or fit(stem(model, environment), LIMITS["ecs_service"])


def role_arn(arn: str, model: str) -> str:
    """A platform role ARN for one model: `{model}` replaced by the model's name."""
    return arn.replace(MODEL_PLACEHOLDER, model)


def role_name(arn: str) -> str:
    """The role name of an IAM role ARN (the part after the last '/', past any path)."""
    return arn.rsplit("/", 1)[-1]


#: A tuning job's training jobs cannot be given an entrypoint (CreateHyperParameterTuningJob's
#: HyperParameterAlgorithmSpecification has no ContainerEntrypoint, unlike CreateTrainingJob's
#: AlgorithmSpecification): SageMaker runs the image as `docker run IMAGE train` ("How Amazon
#: SageMaker AI Runs Your Training Image"). The stage's command reaches the container in this
#: variable (its training definition's Environment), a JSON array, for the image's `train` to run.
#: Roles of cross-account delivery (docs/bootstrap.md): the compile project's role of an environment
#: in another account (in the delivery account), the role it assumes there to apply, and the role
#: `mlopsc registry` assumes there. Names within IAM's 64 characters (model 32, environment 16).
def compile_role(model: str, environment: str) -> str:
    return f"mlops-{model}-{environment}-apply"


def deploy_role(model: str, environment: str) -> str:
    return f"mlops-{model}-{environment}-deploy"


def registry_role(model: str, environment: str) -> str:
    return f"mlops-{model}-{environment}-registry"


def account_role_arn(partition: str, account: str, name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{name}"


COMMAND_VARIABLE = "MLOPS_COMMAND"
#: SageMaker's limit on a value of a tuning job's Environment (HyperParameterTrainingJobEnvironmentValue).
COMMAND_VALUE_LIMIT = 512


def command_value(command) -> str:
    """MLOPS_COMMAND's value: the command as a compact JSON array."""
    return json.dumps(list(command), ensure_ascii=False, separators=(",", ":"))


#: `train.distribution` -> the reserved hyper-parameters that carry it (render/distribution.py),
#: which the SageMaker training toolkit reads: names of the SageMaker Python SDK v2
#: (estimator.py, pytorch/estimator.py). type -> the one that turns its launcher on.
DISTRIBUTION_ENABLED = {
    "mpi": "sagemaker_mpi_enabled",
    "data_parallel": "sagemaker_distributed_dataparallel_enabled",
    "torch_distributed": "sagemaker_torch_distributed_enabled",
}
DISTRIBUTION_PROCESSES_PER_HOST = "sagemaker_mpi_num_of_processes_per_host"
DISTRIBUTION_INSTANCE_TYPE = "sagemaker_instance_type"


def distribution_hyperparameters(kind: str) -> tuple:
    """The hyper-parameters a distribution of this type sets (a user's may not collide)."""
    second = DISTRIBUTION_PROCESSES_PER_HOST if kind == "mpi" else DISTRIBUTION_INSTANCE_TYPE
    return (DISTRIBUTION_ENABLED[kind], second)


#: Script mode: a training stage on a runtime with `code` runs `entry_point` from that folder, which
#: AWS's framework images download and run through the SageMaker training toolkit, told by these
#: reserved hyper-parameters (SageMaker Python SDK v2, estimator.py
#: `Framework._script_mode_hyperparam_update`, JSON-encoded by `_json_encode_hyperparameters`).
#: The SDK also sends `sagemaker_job_name`, which the toolkit does not need to run the script.
SCRIPT_PROGRAM = "sagemaker_program"
SCRIPT_SUBMIT_DIRECTORY = "sagemaker_submit_directory"
SCRIPT_LOG_LEVEL = "sagemaker_container_log_level"
SCRIPT_REGION = "sagemaker_region"
SCRIPT_MODE_HYPERPARAMETERS = (SCRIPT_PROGRAM, SCRIPT_SUBMIT_DIRECTORY, SCRIPT_LOG_LEVEL, SCRIPT_REGION)
