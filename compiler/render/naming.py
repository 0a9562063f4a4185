"""Naming: the names, ARNs and S3 locations of one model in one environment. render_files builds
it once and passes it to every renderer.

Values known only at run time are JSONPaths (`$$.Execution.Name`) or States.Format calls
(`states_format`); names that must be unique per attempt (SageMaker jobs, models, endpoint
configs) end with a token cut from States.UUID(), because a retried create with the same name
would fail.
"""

from __future__ import annotations

from compiler import names
from compiler.aws_data import model_monitor
from compiler.model import ModelConfig

#: The first group of a UUID: 8 hex characters, new on every evaluation (every retry).
TOKEN = "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0)"
RUN_ID = "$$.Execution.Name"
POINTERS = "$.pointers.Item"
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

    def under(self, run_id: str, pointers: str) -> "Naming":
        """The same names, reading the run id and the pointers at other JSONPaths (a Distributed
        Map's child executions: under `$.BatchInput`)."""
        return Naming(self.config, run_id, pointers)

    def image(self, runtime: str) -> str:
        """The JSONPath of a built runtime's image (by digest) in the pointers apply wrote."""
        return f"{self.pointers}.images.M['{runtime}'].S"

    def image_parameter(self, key: str, runtime: str) -> dict:
        """A request field naming a runtime's image: a prebuilt image's URI is known when compiling,
        so it is written as it is (a change of it shows in `mlopsc diff`); a built one is read from
        the pointers, since each build makes a new image."""
        prebuilt = self.config.runtime(runtime).image
        return {key: prebuilt.uri} if prebuilt else {f"{key}.$": self.image(runtime)}

    # -- a prebuilt image's code folder (`runtimes.<name>.code`) --------------------------------
    def code_prefix(self, runtime: str, commit: str) -> str:
        """Where the build stage uploads a runtime's code folder for a commit."""
        return f"s3://{self.platform.artifact_bucket}/{self.config.name}/code/{commit}/{runtime}/"

    def code_archive(self, runtime: str, commit: str) -> str:
        """Where the build stage uploads a runtime's code folder as `sourcedir.tar.gz` for a commit,
        for training jobs in script mode: beside the folder, never inside it (a processing job on
        the runtime downloads the folder's prefix)."""
        return f"s3://{self.platform.artifact_bucket}/{self.config.name}/code/{commit}/{runtime}.sourcedir.tar.gz"

    def code_uri(self, runtime: str) -> str:
        """The code folder of the commit whose images apply wrote (the pointers' commit)."""
        return states_format(self.code_prefix(runtime, "{}"), f"{self.pointers}.commit.S")

    # -- registry keys (see docs/registry.md, Registry items) --------------------------------------
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

    # -- monitoring (docs/monitoring.md) -------------------------------------------------
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
