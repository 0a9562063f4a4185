"""The typed, normalised model of one model config in one environment.

Frozen dataclasses, defaults applied, durations in seconds, references resolved. This is all
the renderer sees: no YAML, no locations, no I/O. Maps are read-only and key-sorted.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Mapping, Optional, Union

Scalar = Union[str, int, float, bool]

#: The one deploy target whose drift SageMaker Model Monitor can measure.
MODEL_MONITOR_TARGET = "sagemaker-endpoint"


def model_monitor_measures_drift(target: Optional[str], has_drift_job: bool) -> bool:
    """Who measures drift, decided here only: the model's own drift job (`monitor.drift.job`, the
    `drift` pipeline) whenever there is one, on every target; without one, SageMaker Model Monitor,
    which only a sagemaker-endpoint has (and only accounts that used it before its availability
    change: docs/monitoring.md). The checks refuse a drift section with neither."""
    return target == MODEL_MONITOR_TARGET and not has_drift_job


def frozen_map(items: Optional[Mapping]) -> Mapping:
    """A read-only map with sorted keys, so iteration order never depends on the input's."""
    return MappingProxyType(dict(sorted((items or {}).items())))


@dataclasses.dataclass(frozen=True)
class CodeArtifact:
    """The CodeArtifact repository of `platform.codeartifact`, owner and region filled in."""

    domain: str
    domain_owner: str
    repository: str
    region: str
    create: bool

    def arn(self, partition: str, resource: str) -> str:
        return f"arn:{partition}:codeartifact:{self.region}:{self.domain_owner}:{resource}"


@dataclasses.dataclass(frozen=True)
class Platform:
    account: str
    region: str
    artifact_bucket: str
    registry_table: str
    event_bus: str
    notification_topic: str
    pipeline_role: str  # role ARNs with `{model}` already replaced by the model's name
    task_role: str
    ecs_cluster: Optional[str]
    subnets: tuple
    security_groups: tuple
    kms_key: Optional[str]
    partition: str = "aws"
    codeartifact: Optional[CodeArtifact] = None


@dataclasses.dataclass(frozen=True)
class PrebuiltImage:
    """An image the build stage does not build (`runtimes.<name>.image`)."""

    uri: str
    #: "digest": an ECR image URI pinned by digest, as written; "aws-tag": an AWS-provided image,
    #: resolved from framework and version, which AWS publishes by tag only.
    pinned: str
    repository_arn: str  # the ECR repository, for pull permissions


@dataclasses.dataclass(frozen=True)
class Runtime:
    name: str
    dockerfile: Optional[str]  # None: a prebuilt image
    context: str
    build_args: Mapping
    image: Optional[PrebuiltImage] = None
    code: Optional[str] = None  # a folder of the repository the build uploads (prebuilt images only)

    @property
    def built(self) -> bool:
        """Built and pushed by the build stage: its URI (by digest) reaches the pointers through apply."""
        return self.image is None


@dataclasses.dataclass(frozen=True)
class Retry:
    max_attempts: int
    interval_seconds: int
    backoff_rate: float
    errors: tuple


@dataclasses.dataclass(frozen=True)
class Stage:
    """A container stage: a retrain stage or the batch job."""

    name: str
    runtime: str
    command: Optional[tuple]
    compute: str  # "fargate" or "sagemaker"
    cpu: int
    memory: int
    instance_type: str
    instance_count: int
    volume_gb: int
    spot: bool
    timeout_seconds: int
    retry: Retry
    environment: Mapping
    secrets: Mapping
    #: What runs it (the stage graph's `kind`): processing, training, tuning or evaluate (a
    #: processing job or Fargate task that may hold the gate). Batch and drift jobs: processing.
    kind: str = "processing"
    #: Script mode (`entry_point`): the script of its runtime's `code` folder a training job runs.
    entry_point: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class StageInput:
    """A named input of a retrain stage (a training channel, a processing input, and
    MLOPS_INPUT_<NAME>_URI): an s3:// URI, or a stage's folder, output or model."""

    name: str
    uri: Optional[str]  # an s3:// URI given as is; None when it comes from a stage
    stage: Optional[str]
    output: Optional[str]  # an output of `stage`, or "model" (a training stage's); None: its folder
    content_type: Optional[str]
    mode: Optional[str]  # File, Pipe or FastFile (SageMaker's spellings)
    distribution: Optional[str]  # FullyReplicated or ShardedByS3Key
    path: Optional[str]  # processing local path; None: /opt/ml/processing/input/<name>


@dataclasses.dataclass(frozen=True)
class StageOutput:
    """A named output of a retrain stage: the prefix <stage folder><name>/."""

    name: str
    path: Optional[str]  # processing local path; None: /opt/ml/processing/output/<name>


@dataclasses.dataclass(frozen=True)
class GraphStage:
    """One retrain stage's place in the stage graph."""

    name: str
    kind: str
    after: tuple  # stage names, resolved (a well-known stage without `after`: the default chain)
    inputs: tuple = ()  # of StageInput, by name
    outputs: tuple = ()  # of StageOutput, by name


@dataclasses.dataclass(frozen=True)
class TuneParameter:
    name: str
    kind: str  # "continuous", "integer" or "categorical"
    min: Optional[float] = None
    max: Optional[float] = None
    scaling: str = "auto"
    values: tuple = ()


@dataclasses.dataclass(frozen=True)
class Tune:
    stage: Stage
    strategy: str
    objective_metric: str
    objective_goal: str
    objective_regex: str
    max_jobs: Optional[int]
    max_parallel_jobs: int
    parameters: tuple  # of TuneParameter, by name
    early_stopping: bool = False  # SageMaker's TrainingJobEarlyStoppingType Auto
    #: "identical_data_and_algorithm" or "transfer_learning": start from the approved version's tuning job
    warm_start: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Distribution:
    """`train.distribution`: the launcher of a distributed SageMaker training job."""

    kind: str  # "mpi", "data_parallel" or "torch_distributed"
    processes_per_host: Optional[int] = None  # mpi only


@dataclasses.dataclass(frozen=True)
class GateCondition:
    metric: str
    comparison: str  # "below", "above", "at_most" or "at_least"
    threshold: Union[int, float]


@dataclasses.dataclass(frozen=True)
class RetrainPipeline:
    data_source: str
    schedule: Optional[str]
    new_data_prefix: Optional[str]
    new_data_marker: Optional[str]  # only this object name starts a run
    on_commit: bool
    validate: Optional[Stage]
    transform: Optional[Stage]
    tune: Optional[Tune]
    train: Stage
    hyperparameters: Mapping  # name -> str, as SageMaker takes them
    evaluate: Optional[Stage]
    gate: tuple  # of GateCondition
    approval: str  # "manual" or "auto"
    distribution: Optional[Distribution] = None  # of the train stage's code, in train and tune
    #: The model's own stages (the stage graph), by name (a tuning stage of its own: under `tune`).
    custom: Mapping = dataclasses.field(default_factory=lambda: frozen_map({}))
    #: Every retrain stage's place in the graph (the monitor's baseline aside), by name.
    graph: Mapping = dataclasses.field(default_factory=lambda: frozen_map({}))
    #: Whether the config uses the graph (an `after` or a stage of its own): only then does the
    #: monitor's baseline join it rather than keep its place right after train.
    uses_graph: bool = False
    #: Where the gate reads its metrics: the stage, its output (None: its folder) and the file.
    metrics_stage: str = "evaluate"
    metrics_output: Optional[str] = None
    metrics_file: str = "metrics.json"
    #: `register.sagemaker.model_package_group`: each version is also a model package version there.
    model_package_group: Optional[str] = None

    def stage(self, name: str) -> Stage:
        """The container stage of a retrain stage's name (the tune stage's: its tuning job's)."""
        if self.tune is not None and name == self.tune.stage.name:
            return self.tune.stage
        well_known = getattr(self, name, None) if name in ("validate", "transform", "train", "evaluate") else None
        return well_known or self.custom[name]


@dataclasses.dataclass(frozen=True)
class Traffic:
    mode: str  # "all-at-once", "canary" or "linear"
    percent: Optional[int]
    interval_seconds: Optional[int]
    bake_seconds: int
    alarms: tuple


@dataclasses.dataclass(frozen=True)
class Poll:
    interval_seconds: int
    backoff_rate: float
    max_attempts: int


@dataclasses.dataclass(frozen=True)
class Variant:
    """A production variant of an A/B test, or the shadow variant of a shadow test."""
    name: str
    version: str  # "candidate", "live" or a version id (docs/state-machines.md, "A/B and shadow tests")
    weight: float  # InitialVariantWeight (a shadow's: its sampling share of the production variant's 1.0)
    instance_type: str
    instance_count: int


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    instance_type: str
    instance_count: int
    autoscaling_min: Optional[int]
    autoscaling_max: Optional[int]
    target_invocations: Optional[int]
    #: seconds between scaling activities of one direction (the target tracking policy's cooldowns)
    scale_in_cooldown_seconds: Optional[int] = None
    scale_out_cooldown_seconds: Optional[int] = None
    #: Serverless Inference instead of instances (then no instance type, count or autoscaling)
    serverless: Optional["Serverless"] = None
    #: Asynchronous Inference: a request queue answered into S3 (`async` is a Python keyword)
    asynchronous: Optional["AsyncInference"] = None
    #: the production variants of an A/B test (none: the one variant AllTraffic serves the deployment's version)
    variants: tuple = ()
    shadow: Optional[Variant] = None
    shadow_production: Optional[str] = None  # the version AllTraffic serves during a shadow test


@dataclasses.dataclass(frozen=True)
class Serverless:
    memory: int  # MB, 1024 to 6144 in 1 GB steps
    max_concurrency: int
    provisioned_concurrency: Optional[int]


@dataclasses.dataclass(frozen=True)
class AsyncInference:
    output: str
    failure_output: Optional[str]
    max_concurrent_invocations: Optional[int]
    target_backlog_per_instance: float
    success_topic: Optional[str]
    error_topic: Optional[str]


@dataclasses.dataclass(frozen=True)
class Function:
    name: str
    memory: int
    timeout_seconds: int
    alias: str


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    desired_count: int
    cpu: int
    memory: int
    port: int


@dataclasses.dataclass(frozen=True)
class DeployPipeline:
    target: str  # "sagemaker-endpoint", "lambda" or "ecs-service"
    runtime: str
    environment: Mapping
    traffic: Traffic
    poll: Poll
    endpoint: Optional[Endpoint] = None
    function: Optional[Function] = None
    service: Optional[Service] = None


@dataclasses.dataclass(frozen=True)
class Transform:
    """batch mode `transform`: a SageMaker Batch Transform job's settings, in SageMaker's
    spellings (CreateTransformJob); None where the config leaves SageMaker's default."""

    content_type: Optional[str]
    accept: Optional[str]
    split_type: str
    compression: str
    assemble_with: str
    batch_strategy: Optional[str]
    max_payload_mb: Optional[int]
    max_concurrent_transforms: Optional[int]
    input_filter: Optional[str]
    output_filter: Optional[str]
    join_source: str


@dataclasses.dataclass(frozen=True)
class BatchPipeline:
    mode: str  # "full", "mini" or "transform"
    stage: Stage
    input: str
    output: str
    schedule: Optional[str]
    batch_size: int
    max_concurrency: int
    tolerated_failure_percent: float
    transform: Optional[Transform] = None  # mode transform only


@dataclasses.dataclass(frozen=True)
class Drift:
    schedule: str  # "hourly" or "daily"
    features: Mapping  # feature name -> largest tolerated baseline drift distance
    evaluation_periods: int
    job: Optional[Stage]  # the model's own drift job (any target; without it, Model Monitor on an endpoint)
    retrain: bool
    cooldown: str  # "1h" or "1d": one drift-started retrain per UTC hour or day


@dataclasses.dataclass(frozen=True)
class Health:
    max_error_rate: Optional[float]
    max_latency_p99_ms: Optional[int]
    min_invocations_per_hour: Optional[int]
    evaluation_periods: int


@dataclasses.dataclass(frozen=True)
class Monitor:
    sampling_percent: int
    baseline: Optional[Stage]
    drift: Optional[Drift]
    health: Optional[Health]


@dataclasses.dataclass(frozen=True)
class Build:
    test_commands: tuple
    compute_type: str
    image: str
    publish: Optional[str] = None  # the folder of the Python project published to CodeArtifact


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """An input file, for the manifest: its path relative to the model repository's root."""

    path: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Everything needed to compile one model in one environment."""

    name: str
    environment: str
    description: str
    owner: str
    tags: Mapping
    platform: Platform
    runtimes: tuple  # of Runtime, by name
    build: Build
    retrain: Optional[RetrainPipeline]
    deploy: Optional[DeployPipeline]
    batch: Optional[BatchPipeline]
    sources: tuple  # of SourceFile, by path
    monitor: Optional[Monitor] = None
    #: What the config writes but this environment switches off (`enabled: false`), in the order of
    #: compiler.switches.PIPELINES, then "monitor": left out above, named in the manifest.
    disabled: tuple = ()

    def runtime(self, name: str) -> Runtime:
        return next(runtime for runtime in self.runtimes if runtime.name == name)

    @property
    def built_runtimes(self) -> tuple:
        return tuple(runtime for runtime in self.runtimes if runtime.built)

    @property
    def pipelines(self) -> tuple:
        """Names of the configured pipelines, in a fixed order; `drift` runs the monitor's own
        drift job (`uses_model_monitor`: SageMaker Model Monitor measures drift otherwise)."""
        present = {"retrain": self.retrain, "deploy": self.deploy, "batch": self.batch, "drift": self.drift_job}
        return tuple(name for name, pipeline in present.items() if pipeline is not None)

    @property
    def has_versions(self) -> bool:
        """Model versions reach this environment: retrained here, or, where retrain is switched
        off, promoted from the environment that retrains (`mlopsc registry promote`)."""
        return self.retrain is not None or "retrain" in self.disabled

    @property
    def drift_job(self) -> Optional[Stage]:
        drift = self.monitor.drift if self.monitor else None
        return drift.job if drift else None

    @property
    def uses_model_monitor(self) -> bool:
        """SageMaker Model Monitor measures this environment's drift (its schedule, alarms in
        SageMaker's namespace, its IAM), rather than the model's own drift job."""
        drift = self.monitor.drift if self.monitor else None
        target = self.deploy.target if self.deploy else None
        return drift is not None and model_monitor_measures_drift(target, drift.job is not None)
