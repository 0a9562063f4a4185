"""Executing the compiled state machines in moto, in this process (tests/execute/test_execute_*.py).

What is real moto (5.2.5, `mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`):
the Step Functions interpreter (`moto.stepfunctions.parser`: states, JSONPath, intrinsic functions,
Retry/Catch, Choice, the execution history) and every service the states call, each with its own
moto backend: DynamoDB (the registry items, condition expressions), SNS (published messages are
kept by the backend), EventBridge, S3 (`metrics.json`, batch manifests), ECS (`run_task`, the task
definitions `mlopsc apply` registered), Lambda, CloudWatch alarms, Application Auto Scaling and
SageMaker's backend (jobs, models, endpoint configs, endpoints). `compiler.apply.apply` itself
writes the account (state machines, pointers item, task definitions): what executes is what
`mlopsc apply` puts there, byte for byte the compiled ASL.

What this harness adds to moto's interpreter, in the test process only, and why (the compiled
ASL is never changed for a test):

1. **ECS `runTask.sync`**. moto 5.2.5 hands the state's PascalCase parameters to boto unconverted
   (`KeyError: 'Cluster'`), leaves the camelCase response unconverted, and its Fargate tasks never
   stop. `_Ecs` converts both ways with botocore's shapes (as Step Functions does; moto's port of
   the localstack interpreter left `_normalise_parameters`/`_normalise_response` empty), and its
   `.sync` resolver asks the test's `Stages` what the container does: the "container" may write
   objects to S3 (the evaluate stage writes `metrics.json` under its `MLOPS_OUTPUT_URI`), then the
   task is marked STOPPED in moto's ECS backend with that exit code. (moto's `run_task` also
   fails on a Fargate container that has no memory of its own, as mlopsc's task definitions do:
   the task's size is used instead.) A non-zero exit fails the
   state with `States.TaskFailed`, the task description as cause, as AWS does; the output of a
   successful task is the described task (`TaskArn`, `Containers`, ... at the top level, as in
   AWS's recorded runTask.sync output).
2. **SageMaker**. moto's interpreter does not run `arn:aws:states:::sagemaker:*` at all. `_SageMaker`
   calls moto's SageMaker backend through boto (create processing/training/tuning jobs, models,
   endpoint configs, endpoints), and does `updateEndpoint` (which moto's backend lacks) by
   switching the endpoint to the new config, or not, as `Harness.endpoint` says ("ready",
   "never_ready": stays `Updating`/`Creating`, "roll_back": back `InService` on the old config, as
   SageMaker's alarm auto-rollback leaves it); the same update answers the SDK's UpdateEndpoint
   (`mlopsc registry promote-variant`), and endpoint configs keep their ShadowProductionVariants,
   listed by DescribeEndpointConfig and DescribeEndpoint as SageMaker lists them. A `.sync` job ends `Completed` or `Failed` as
   `Stages` says; the output is the Describe* response, as AWS returns it. A transform job runs
   as the `batch` stage with its model's container variables, and a completed one writes
   `<input object>.out` under S3OutputPath, as SageMaker names its output objects.
3. **aws-sdk integrations**: `s3:getObject`'s `Body` is the object's text, as AWS gives it (moto
   leaves botocore's stream there, which `States.StringToJson` cannot read); JSON given for a blob
   (`s3:putObject`'s `Body.$`) is sent as its JSON text (moto hands the list to botocore); `applicationautoscaling` is boto's `application-autoscaling` (moto has
   no such mapping), and an SDK error is named after the service as AWS names it
   (`Lambda.ResourceNotFoundException`; moto writes `lambda.ResourceNotFoundException`).
   SageMaker's `createMonitoringSchedule` and `updateMonitoringSchedule`, which moto's SageMaker
   lacks, are kept by the harness (`Harness.monitoring_schedules`, name -> the request), answering
   as SageMaker does: creating a name that exists is `ResourceInUse` (the state sees
   `SageMaker.ResourceInUseException`), updating one that does not is `ResourceNotFound`.
4. **Intrinsics and services where moto differs from AWS**: `States.Format` treats `\\{` and `\\}` as
   literal braces, as AWS does (moto hands the template to Python's `str.format`, which fails on
   them); Application Auto Scaling's `DeregisterScalableTarget` of a target that is not registered
   answers `ObjectNotFoundException`, as AWS documents (moto answers `ValidationException`);
   CloudWatch's `DescribeAlarms` applies `StateValue` together with `AlarmNames` (moto drops the
   state filter when names are given, so every named alarm would look like it is firing); Lambda's
   `PublishVersion` returns the latest version when code and configuration are unchanged, as AWS
   documents (moto publishes a new one after any update call); `sfn:*` answers are PascalCase, as
   Step Functions gives them (moto leaves the API's camelCase).
5. **Time**. Wait states and Retry intervals return at once; the seconds each asked for are
   recorded (`Clock.waits`, `Clock.retries`) so tests can assert the backoff instead of sleeping
   through it; a test may hook a Wait (`Clock.on_wait`) to act while an execution waits there.
   `$$.Execution.StartTime` is a string as AWS writes it (`2026-11-26T01:47:28.123Z`; moto puts a
   datetime there, which no intrinsic function takes); a test may fix an execution's start time
   (`Clock.start_times[name]`), so that what is cut from it does not depend on the clock.
   The `.sync` poll interval drops from 0.5 s to 10 ms. A retried `.sync` attempt gets a task token
   of its own (moto reuses the first attempt's, already interrupted, and the retry "times out").
6. **Distributed Map**: moto's ASL grammar has no `ItemBatcher`, so it cannot parse the mini-batch
   pipeline. Creating such a state machine is let through (so `apply` runs unchanged); to execute
   it, `sfn_distributed_map.install` feeds the Map as AWS does (see that module).

7. **Responses with every member**: what a state gets from a `.sync` job (the Describe* output,
   the described ECS task) and from the monitoring schedule calls is botocore's output shape with
   every member present (`example_of`), moto's or the harness's values laid over it
   (`with_every_member`): a state reading a member AWS documents finds it, whatever moto fills.
8. **Failures**: `Harness.fail_state(state, error)` makes every call of a Task fail with the error
   as Step Functions names it (tests/execute/test_routes.py runs every Catcher's route with it).
9. **Speed**: each definition's ANTLR parse tree and each botocore model is kept for the session
   (moto re-parses at every execution start; each Task's client re-decodes its service's JSON).

Everything is undone when the test ends (pytest's monkeypatch).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
import datetime
from datetime import timezone
from typing import Any, Callable, Optional

import boto3
import botocore.session
from botocore.exceptions import ClientError

ACCOUNT = "111111111111"
REGION = "eu-west-1"


# ----------------------------------------------------------------------------- what the stages do

@dataclass
class Run:
    """One container run (an ECS task or a SageMaker job) as the stage saw it."""
    kind: str  # "ecs", "processing", "training", "tuning"
    stage: str
    environment: dict
    request: dict  # the parameters the state sent (PascalCase, as Step Functions sends them)
    exit_code: int = 0


class Stages:
    """The fake stage containers. By default every stage succeeds; `fail[stage] = n` makes its
    first n runs fail (exit 1 / job Failed); `metrics` is what the evaluate stage writes to
    `<MLOPS_OUTPUT_URI><metrics_key>` (None: it writes nothing; `metrics_key` is metrics.json
    unless a test's config reads them elsewhere); `tuned` are the hyper-parameters
    of the tuning job's best training job (None: the tuning job completes without a best training
    job, so DescribeHyperParameterTuningJob has no `BestTrainingJob`, a member it marks optional)."""

    def __init__(self, s3):
        self.s3 = s3
        self.fail: dict[str, float] = {}
        self.metrics: Optional[dict] = {}
        self.metrics_key = "metrics.json"
        self.tuned: Optional[dict] = {"eta": "0.1", "max_depth": "6", "booster": "gbtree"}
        self.runs: list[Run] = []
        self._lock = threading.Lock()

    def run(self, kind: str, environment: dict, request: dict) -> int:
        stage = environment.get("MLOPS_STAGE", "?")
        with self._lock:
            attempt = sum(1 for r in self.runs if r.stage == stage)
            code = 1 if attempt < self.fail.get(stage, 0) else 0
            self.runs.append(Run(kind, stage, environment, request, code))
        if code == 0 and stage == "evaluate" and self.metrics is not None:
            bucket, key = split_s3(environment["MLOPS_OUTPUT_URI"] + self.metrics_key)
            self.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(self.metrics).encode())
        return code

    def of(self, stage: str) -> list[Run]:
        return [r for r in self.runs if r.stage == stage]


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


# ----------------------------------------------------------------------------- time

class Clock:
    """Waits and retry intervals, recorded instead of slept; and the event clock: the time
    EventBridge stamps on each event (`time`) and the registry library reads (`store.clock`), the
    real clock moved ahead by `next_second` instead of sleeping until the next second."""

    def __init__(self):
        self.waits: list[tuple[str, str, float]] = []  # (execution name, state, seconds)
        self.retries: list[float] = []
        self.on_wait: Optional[Callable[[str, str, float], None]] = None
        #: execution name -> its `$$.Execution.StartTime`, instead of the real one
        self.start_times: dict[str, str] = {}
        #: seconds the event clock is ahead of the real one (it only ever moves forward)
        self.ahead = 0.0

    def waits_in(self, state: str, execution: Optional[str] = None) -> list[float]:
        return [s for e, n, s in self.waits if n == state and (execution is None or e == execution)]

    def now(self) -> float:
        """The event clock, in seconds since the epoch."""
        return time.time() + self.ahead

    def next_second(self) -> None:
        """The event clock 50 ms into its next whole second, at once. The handler orders a
        version's events by their time in whole seconds (compiler/registry/items.py, order key),
        so steps that AWS runs minutes apart are kept a second apart, as sleeping kept them."""
        self.ahead += 1.05 - self.now() % 1


#: the Clock of the harness installed last in this test (None: no harness, the real clock)
_EVENT_CLOCK: Optional[Clock] = None


def next_second() -> None:
    """The next whole second of the event clock: at once under the harness (Clock.next_second),
    else by sleeping until then."""
    if _EVENT_CLOCK is None:
        time.sleep(1.05 - time.time() % 1)
    else:
        _EVENT_CLOCK.next_second()


# ----------------------------------------------------------------------------- the harness

class Harness:
    def __init__(self, session):
        self.session = session
        self.stages = Stages(session.client("s3"))
        self.clock = Clock()
        self.endpoint = "ready"  # what an endpoint create/update does: ready | never_ready | roll_back
        self.sagemaker_requests: list[tuple[str, dict]] = []  # (action, parameters) in order
        self.monitoring_schedules: dict[str, dict] = {}  # name -> the last create/update request
        #: state name -> the error its call fails with, every attempt (see `fail_state`)
        self.faults: dict[str, str] = {}
        #: state name -> members its `aws-sdk:` response lacks (AWS may omit what its output shape
        #: does not mark required, e.g. s3:getObject's Body), to run the route that guards them
        self.absent_members: dict[str, tuple] = {}
        #: state name -> called with the execution's name just before the state makes its call: what
        #: another actor does at that moment (a second deployment taking the lock), so that the call
        #: then fails by itself, as it does in AWS
        self.before_call: dict[str, Callable[[str], None]] = {}

    def fail_state(self, state: str, error: str) -> None:
        """Every call the Task state `state` makes fails with `error`, named as Step Functions
        names it. A `.sync` job state fails as a job does: it starts, then ends Failed (SageMaker)
        or its container exits 1 (ECS), which Step Functions reports as `States.TaskFailed`."""
        self.faults[state] = error

    # --- moto's backends, for what no API can do (stop a task with an exit code, end a job)
    @staticmethod
    def _ecs_backend():
        from moto.ecs.models import ecs_backends

        return ecs_backends[_account()][REGION]

    @staticmethod
    def _sagemaker_backend():
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[_account()][REGION]

    def stop_task(self, task_arn: str, exit_code: int) -> None:
        for tasks in self._ecs_backend().tasks.values():
            task = tasks.get(task_arn.rsplit("/", 1)[-1]) or tasks.get(task_arn)
            if task is None:
                continue
            task.last_status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stopped_reason = "Essential container in task exited"
            for container in task.containers:
                container.last_status = "STOPPED"
                container.exitCode = exit_code
            return
        raise AssertionError(f"no ECS task {task_arn} in moto")

    def sagemaker(self, action: str, parameters: dict) -> dict:
        """An optimised `sagemaker:<action>` call, made against moto's SageMaker backend."""
        self.sagemaker_requests.append((action, json.loads(json.dumps(parameters))))
        client = self.session.client("sagemaker")
        backend = self._sagemaker_backend()
        if action == "updateEndpoint":
            if "DeploymentConfig" in parameters:
                self._refuse_guardrails_across_variant_names(parameters)
            return {"EndpointArn": self.update_endpoint(parameters["EndpointName"], parameters["EndpointConfigName"])}
        call = getattr(client, _snake(action))
        response = call(**{k: v for k, v in parameters.items() if k not in _MOTO_IGNORES.get(action, ())})
        response.pop("ResponseMetadata", None)
        if action == "createEndpoint":
            endpoint = backend.endpoints[parameters["EndpointName"]]
            self._settle(endpoint, parameters["EndpointConfigName"], None, "Creating")
            self._describe_variants_of_config(endpoint)
        return response

    def _refuse_guardrails_across_variant_names(self, parameters: dict) -> None:
        """SageMaker's deployment guardrails: "When doing a blue/green or rolling deployment, your
        new endpoint configuration must have the same variant name as the old endpoint
        configuration" (developer guide, "Deployment guardrails", "Exclusions"); moto checks none.
        The exact error is not documented: SageMaker's common ValidationException."""
        backend = self._sagemaker_backend()
        configs = backend.endpoint_configs
        old = configs[backend.endpoints[parameters["EndpointName"]].endpoint_config_name]
        new = configs[parameters["EndpointConfigName"]]

        def names(config) -> list:
            return sorted(variant["VariantName"] for variant in (config.production_variants or [])
                          + (getattr(config, "shadow_production_variants", None) or []))
        if names(old) != names(new):
            raise ClientError({"Error": {"Code": "ValidationException", "Message": (
                f"Deployment guardrails need the same variant names: {names(old)} -> {names(new)}")},
                "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "harness"}}, "UpdateEndpoint")

    def update_endpoint(self, name: str, config: str) -> str:
        """UpdateEndpoint (moto's backend has none), from the deploy pipeline's state or from an
        SDK call (`mlopsc registry promote-variant`): the endpoint switches to `config`, or not,
        as `endpoint` says. Both exist: the callers check that first, as AWS does."""
        backend = self._sagemaker_backend()
        endpoint = backend.endpoints[name]
        backend.endpoint_configs[config]  # exists, as AWS checks
        self._settle(endpoint, config, endpoint.endpoint_config_name, "Updating")
        self._describe_variants_of_config(endpoint)
        return endpoint.arn

    def _describe_variants_of_config(self, endpoint) -> None:
        """DescribeEndpoint lists the production and shadow variants of the config the endpoint
        serves (moto keeps the first config's production variants, and no shadow at all)."""
        serving = self._sagemaker_backend().endpoint_configs[endpoint.endpoint_config_name]
        endpoint.production_variants = endpoint._process_production_variants(serving.production_variants)
        shadows = getattr(serving, "shadow_production_variants", None)
        endpoint.shadow_production_variants = endpoint._process_production_variants(shadows) if shadows else None

    def monitoring_schedule(self, action: str, parameters: dict) -> dict:
        """`aws-sdk:sagemaker:createMonitoringSchedule` / `updateMonitoringSchedule` (moto has no
        monitoring schedules): recorded, with SageMaker's answers for a name taken or missing."""
        request = json.loads(json.dumps(parameters))
        self.sagemaker_requests.append((action, request))
        name = request["MonitoringScheduleName"]
        exists = name in self.monitoring_schedules
        if exists == (action == "createMonitoringSchedule"):
            code = "ResourceInUse" if exists else "ResourceNotFound"
            client = self.session.client("sagemaker")
            raise getattr(client.exceptions, code)(
                {"Error": {"Code": code, "Message": f"Monitoring schedule {name}: {code}"},
                 "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "harness"}}, _pascal(action))
        self.monitoring_schedules[name] = request
        return with_every_member(_operation("sagemaker", action).output_shape, {
            "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:{_account()}:monitoring-schedule/{name.lower()}"})

    def _write_transform_output(self, parameters: dict) -> None:
        s3 = self.session.client("s3")
        source = parameters["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
        out_bucket, out_prefix = split_s3(parameters["TransformOutput"]["S3OutputPath"])
        _, in_prefix = split_s3(source)
        for key in _input_keys(s3, source):
            s3.put_object(Bucket=out_bucket, Key=out_prefix + key.removeprefix(in_prefix) + ".out", Body=b"0.5\n")

    def _settle(self, endpoint, new_config: str, previous: Optional[str], pending: str) -> None:
        if self.endpoint == "ready":
            endpoint.endpoint_config_name, endpoint.endpoint_status = new_config, "InService"
        elif self.endpoint == "never_ready":
            endpoint.endpoint_config_name, endpoint.endpoint_status = new_config, pending
        elif self.endpoint == "roll_back":  # an alarm fired during the traffic shift: back on the old config
            endpoint.endpoint_config_name, endpoint.endpoint_status = previous or new_config, "InService"
        else:
            raise AssertionError(self.endpoint)

    def finish_job(self, action: str, parameters: dict, fail: bool = False) -> tuple[bool, dict]:
        """The `.sync` end of a SageMaker job: the stage runs, the job ends Completed or Failed in
        moto's backend (`fail`: Failed whatever the stage does), and the Describe* response is
        what the state gets."""
        client, backend = self.session.client("sagemaker"), self._sagemaker_backend()
        if action == "createProcessingJob":
            name = parameters["ProcessingJobName"]
            code = self.stages.run("processing", parameters.get("Environment", {}), parameters) or int(fail)
            job = backend.processing_jobs[name]
            job.processing_job_status = "Completed" if code == 0 else "Failed"
            described = client.describe_processing_job(ProcessingJobName=name)
        elif action == "createTrainingJob":
            name = parameters["TrainingJobName"]
            code = self.stages.run("training", parameters.get("Environment", {}), parameters) or int(fail)
            job = backend.training_jobs[name]
            job.training_job_status = "Completed" if code == 0 else "Failed"
            described = client.describe_training_job(TrainingJobName=name)
        elif action == "createHyperParameterTuningJob":
            name = parameters["HyperParameterTuningJobName"]
            definition = parameters["TrainingJobDefinition"]
            code = self.stages.run("tuning", definition.get("Environment", {}), parameters) or int(fail)
            job = backend.hyper_parameter_tuning_jobs[name]
            job.hyper_parameter_tuning_job_status = "Completed" if code == 0 else "Failed"
            if self.stages.tuned is not None:
                job.best_training_job = dict(job.best_training_job, TrainingJobName=f"{name}-001-0a1b2c3d",
                                             TunedHyperParameters=dict(self.stages.tuned))
            described = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        elif action == "createTransformJob":
            # The job runs the model (its container's variables) on batch.input; a completed job
            # writes `<object>.out` per input object under S3OutputPath, as SageMaker does
            # (developer guide, "Batch transform": output files keep the input's names, with .out).
            name = parameters["TransformJobName"]
            container = client.describe_model(ModelName=parameters["ModelName"])["PrimaryContainer"]
            environment = {**container.get("Environment", {}), "MLOPS_STAGE": "batch"}
            code = self.stages.run("transform", environment, parameters) or int(fail)
            job = backend.transform_jobs[name]
            job.transform_job_status = "Completed" if code == 0 else "Failed"
            if code == 0:
                self._write_transform_output(parameters)
            described = client.describe_transform_job(TransformJobName=name)
        else:
            raise AssertionError(f"no .sync for sagemaker:{action}")
        described.pop("ResponseMetadata", None)
        described = with_every_member(_operation("sagemaker", "describe" + action.removeprefix("create")).output_shape,
                                      json.loads(json.dumps(described, default=str)))
        if action == "createHyperParameterTuningJob" and self.stages.tuned is None:
            described.pop("BestTrainingJob", None)  # with_every_member gave it one
        if code:
            described["FailureReason"] = "AlgorithmError: the stage exited with code 1"
        else:
            described.pop("FailureReason", None)  # AWS gives one only for a failed job
        return code == 0, described


def _input_keys(s3, uri: str) -> list:
    bucket, prefix = split_s3(uri)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


# moto's SageMaker responses reject or do not know these request keys; the harness records them
# in `sagemaker_requests` all the same.
_MOTO_IGNORES = {"createProcessingJob": ("Environment",)}
#: The aws-sdk SageMaker actions the harness answers itself (moto has no monitoring schedules).
MONITORING_SCHEDULE_ACTIONS = ("createMonitoringSchedule", "updateMonitoringSchedule")


def _account() -> str:
    import os

    return os.environ.get("MOTO_ACCOUNT_ID", ACCOUNT)


def _state_name(env) -> str:
    return env.states.context_object.context_object_data["State"]["Name"]


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _pascal(name: str) -> str:
    """runTask / run_task -> RunTask (botocore's operation names)."""
    if "_" in name:
        return "".join(part.title() for part in name.split("_"))
    return name[0].upper() + name[1:]


_BOTOCORE = botocore.session.get_session()


def _operation(service: str, action: str):
    return _BOTOCORE.get_service_model(service).operation_model(_pascal(action))


def example_of(shape, depth: int = 0):
    """A value of a botocore shape with EVERY member present (lists and maps of one element,
    the first enum value, the smallest allowed number), so that a state reading what AWS may
    return finds it; the scenario's own values are laid over it (`with_every_member`)."""
    if shape.type_name == "structure":
        if depth > 8:  # recursive shapes (e.g. nested filters) end here
            return {}
        return {name: example_of(member, depth + 1) for name, member in shape.members.items()}
    if shape.type_name == "list":
        return [example_of(shape.member, depth + 1)]
    if shape.type_name == "map":
        return {"key": example_of(shape.value, depth + 1)}
    if shape.type_name == "string":
        return (shape.enum or ["string"])[0]
    if shape.type_name in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if shape.type_name in ("double", "float"):
        return float(shape.metadata.get("min", 1))
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "timestamp":
        return "2026-11-26T01:47:28.123000+00:00"
    return ""  # blob


def with_every_member(shape, answered, depth: int = 0):
    """`answered` (what moto or the harness answers) laid over the shape's example: every member
    of the output AWS documents is there, and the answered values win (a list's answered items,
    a map's answered entries, each structure in them completed the same way)."""
    if shape.type_name == "structure" and isinstance(answered, dict):
        return {**example_of(shape, depth), **{
            name: (with_every_member(shape.members[name], value, depth + 1) if name in shape.members else value)
            for name, value in answered.items()}}
    if shape.type_name == "list" and isinstance(answered, list):
        return [with_every_member(shape.member, value, depth + 1) for value in answered]
    if shape.type_name == "map" and isinstance(answered, dict):
        return {key: with_every_member(shape.value, value, depth + 1) for key, value in answered.items()}
    return answered


# ----------------------------------------------------------------------------- installing it

def install(monkeypatch, session) -> Harness:
    """Extends moto's interpreter as the module docstring says; returns the test's handle."""
    from botocore.response import StreamingBody
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.api import HistoryEventType, InvalidDefinition, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent, FailureEventException)
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType)
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk, state_task_service_callback)
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService)
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk)
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback)
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
        StateTaskServiceDynamoDB)
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs)
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    harness = Harness(session)

    def task_failed(env, resource: str, resource_type: str, cause: dict) -> FailureEventException:
        error = StatesErrorNameType.StatesTaskFailed.to_name()
        return FailureEventException(FailureEvent(
            env=env, error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                error=error, cause=json.dumps(cause, default=str), resource=resource,
                resourceType=resource_type))))

    class _FreshToken:
        """moto keeps one task token (and callback endpoint) for all attempts of a state, and
        interrupts it when an attempt ends: the retry of a `.sync` task then "times out" at once
        (States.Timeout). Each attempt gets a token of its own, as each AWS attempt does."""

        def _eval_execution(self, env):
            if self.resource.condition == ResourceCondition.Sync:
                env.callback_pool_manager.add(env.states.context_object.update_task_token())
            super()._eval_execution(env)

    class _Ecs(_FreshToken, StateTaskServiceEcs):
        def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
            self._to_boto_request(parameters, _operation("ecs", service_action_name or self.resource.api_action)
                                  .input_shape)

        def _normalise_response(self, response, boto_service_name=None, service_action_name=None):
            self._from_boto_response(response, _operation("ecs", service_action_name or self.resource.api_action)
                                     .output_shape)

        def _before_eval_execution(self, env, resource_runtime_part, raw_parameters, state_credentials):
            super()._before_eval_execution(env, resource_runtime_part, raw_parameters, state_credentials)
            self._sent = json.loads(json.dumps(raw_parameters))  # as Step Functions sends them (PascalCase)

        def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            ecs = boto_client_for(service="ecs", region=resource_runtime_part.region,
                                  state_credentials=state_credentials)
            submitted = env.stack.pop()
            task_arn, cluster_arn = submitted["Tasks"][0]["TaskArn"], submitted["Tasks"][0]["ClusterArn"]
            overrides = normalised_parameters.get("overrides", {}).get("containerOverrides", [{}])[0]
            environment = {e["name"]: e["value"] for e in overrides.get("environment", [])}
            sent, state = self._sent, _state_name(env)

            def resolve():
                code = harness.stages.run("ecs", environment, sent) or int(state in harness.faults)
                harness.stop_task(task_arn, code)
                described = ecs.describe_tasks(cluster=cluster_arn, tasks=[task_arn])
                described.pop("ResponseMetadata", None)
                described["tasks"] = [with_every_member(_operation("ecs", "describeTasks").output_shape.members[
                    "tasks"].member, json.loads(json.dumps(t, default=str))) for t in described["tasks"]]
                self._normalise_response(described, service_action_name="describe_tasks")
                task = json.loads(json.dumps(described["Tasks"][0], default=str))
                if any(c.get("ExitCode", 0) != 0 for c in task["Containers"]):
                    raise task_failed(env, self._get_sfn_resource(), self._get_sfn_resource_type(), task)
                return task

            return resolve

    class _SageMaker(_FreshToken, StateTaskServiceCallback):
        def __init__(self):
            super().__init__(supported_integration_patterns={ResourceCondition.WaitForTaskToken,
                                                             ResourceCondition.Sync})

        def _get_supported_parameters(self):
            return set()  # any: the parameters go to moto's SageMaker as written

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            env.stack.append(harness.sagemaker(self.resource.api_action, normalised_parameters))

        def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            env.stack.pop()
            action, state = self.resource.api_action, _state_name(env)

            def resolve():
                ok, described = harness.finish_job(action, normalised_parameters, fail=state in harness.faults)
                if not ok:
                    raise task_failed(env, self._get_sfn_resource(), self._get_sfn_resource_type(), described)
                return described

            return resolve

    class _AwsSdk(StateTaskServiceAwsSdk):
        def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
            # JSON given for a blob (s3:putObject's Body) is sent as its JSON text, as AWS does
            service = self._get_boto_service_name()
            self._to_boto_request(parameters, _operation(service, self.resource.api_action).input_shape)

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            if self.resource.api_name == "sagemaker" and self.resource.api_action in MONITORING_SCHEDULE_ACTIONS:
                env.stack.append(harness.monitoring_schedule(self.resource.api_action, normalised_parameters))
                return
            super()._eval_service_task(env, resource_runtime_part, normalised_parameters, state_credentials)
            for member in harness.absent_members.get(_state_name(env), ()):
                env.stack[-1].pop(member, None)

        def _normalise_response(self, response, boto_service_name=None, service_action_name=None):
            if self._get_boto_service_name() == "stepfunctions":  # a camelCase API: Step Functions answers in PascalCase
                self._from_boto_response(response, _operation("stepfunctions", self.resource.api_action).output_shape)
            if isinstance(response, dict):
                for key, value in list(response.items()):
                    if isinstance(value, StreamingBody):  # s3:getObject's Body: AWS gives its text
                        response[key] = value.read().decode()
                _timestamps_as_text(response)

    def _timestamps_as_text(node) -> None:
        """A timestamp in an SDK integration's result is ISO-8601 text, as Step Functions gives it
        (`"CreationTime": "2013-08-23T01:02:15.422Z"`); botocore parses it into a datetime, which
        moto's interpreter cannot put into a state's JSON (a whole DescribeEndpoint or DescribeAlarms
        response kept under a ResultPath has them)."""
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in list(items):
            if isinstance(value, datetime.datetime):
                node[key] = _iso_millis(value)
            else:
                _timestamps_as_text(value)

    original_factory = state_task_factory.state_task_service_for

    def state_task_service_for(service_name: str):
        if service_name == "ecs":
            return _Ecs()
        if service_name == "sagemaker":
            return _SageMaker()
        if service_name == "aws-sdk":
            return _AwsSdk()
        return original_factory(service_name)

    monkeypatch.setattr(state_task_factory, "state_task_service_for", state_task_service_for)

    original_before = StateTaskService._before_eval_execution

    def before_eval_execution(self, env, resource_runtime_part, raw_parameters, state_credentials):
        original_before(self, env, resource_runtime_part, raw_parameters, state_credentials)
        if _state_name(env) in harness.before_call:
            harness.before_call[_state_name(env)](env.states.context_object.context_object_data["Execution"]["Name"])
        error = harness.faults.get(_state_name(env))
        if error is None or self.resource.condition == ResourceCondition.Sync:  # .sync: the job fails
            return
        if isinstance(self, (StateTaskServiceDynamoDB, StateTaskServiceAwsSdk)) and not error.startswith("States."):
            raise injected_client_error(self, error)  # named by the integration, as for a real error
        raise injected_failure(env, self, error)

    def injected_client_error(service, error: str):
        """The AWS error response behind `error` (`SageMaker.ResourceInUseException` is SageMaker's
        `ResourceInUse`), as botocore raises it."""
        code, boto_service = error.split(".", 1)[1], service._get_boto_service_name()
        exceptions = harness.session.client(boto_service).exceptions
        if isinstance(service, StateTaskServiceAwsSdk):
            operation = _operation(boto_service, service.resource.api_action)
            declared = {shape.name: shape for shape in operation.error_shapes}
            if code not in declared and code.removesuffix("Exception") in declared:
                code = code.removesuffix("Exception")
            if code in declared:
                # botocore's class is named after the shape; on the wire a query protocol's error has
                # its own code (CloudWatch's LimitExceededFault is sent as `LimitExceeded`): looked up
                # by that code the error would be a bare ClientError, which moto names
                # `CloudWatch.CloudWatchException`, where Step Functions says
                # `CloudWatch.LimitExceededFaultException` (the shape's name with the Exception suffix:
                # "Learning to use AWS service SDK integrations in Step Functions")
                modeled = getattr(exceptions, code)
                wire = declared[code].metadata.get("error", {}).get("code", code)
                return modeled({"Error": {"Code": wire, "Message": f"{code} (injected by the test at this state)"},
                                "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "injected"}},
                               _pascal(service.resource.api_action))
        modeled = exceptions.from_code(code)  # botocore's class for it
        return modeled({"Error": {"Code": code, "Message": f"{code} (injected by the test at this state)"},
                            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "injected"}},
                           _pascal(service.resource.api_action))

    def injected_failure(env, service, error: str) -> FailureEventException:
        name = (StatesErrorName(typ=StatesErrorNameType.from_name(error)) if error.startswith("States.")
                else CustomErrorName(error))
        return FailureEventException(FailureEvent(
            env=env, error_name=name, event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                error=error, cause=f"{error} (injected by the test at this state)",
                resource=service._get_sfn_resource(), resourceType=service._get_sfn_resource_type()))))

    monkeypatch.setattr(StateTaskService, "_before_eval_execution", before_eval_execution)

    from moto.ecs.models import EC2ContainerServiceBackend

    original_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def task_resource_requirements(task_definition):
        try:
            return original_requirements(task_definition)
        except TypeError:  # a Fargate container without its own memory: the task's size is what counts
            return {"CPU": int(task_definition.cpu or 0), "MEMORY": int(task_definition.memory or 0),
                    "PORTS": [], "PORTS_UDP": []}

    monkeypatch.setattr(EC2ContainerServiceBackend, "_calculate_task_resource_requirements",
                        staticmethod(task_resource_requirements))
    monkeypatch.setattr(StateTaskService, "_SERVICE_NAME_SFN_TO_BOTO_OVERRIDES",
                        {**StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES,
                         "applicationautoscaling": "application-autoscaling"})
    for service, name in (("lambda", "Lambda"), ("sagemaker", "SageMaker"), ("s3", "S3"),
                          ("cloudwatch", "CloudWatch"), ("applicationautoscaling", "ApplicationAutoScaling")):
        monkeypatch.setitem(state_task_service_aws_sdk._SERVICE_ERROR_NAMES, service, name)

    def wait_interval(self, env, wait_seconds):
        context = env.states.context_object.context_object_data
        execution, state = context["Execution"]["Name"], context["State"]["Name"]
        harness.clock.waits.append((execution, state, wait_seconds))
        if harness.clock.on_wait:
            harness.clock.on_wait(execution, state, wait_seconds)

    monkeypatch.setattr(WaitFunction, "_wait_interval", wait_interval)

    from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution

    original_details = ParserExecution.get_start_execution_details

    def start_execution_details(self):  # StartTime as AWS writes it, or as the test fixed it
        details = original_details(self)
        started = _iso_millis(self.start_date)
        details.start_time = harness.clock.start_times.get(self.name, started)
        return details

    monkeypatch.setattr(ParserExecution, "get_start_execution_details", start_execution_details)

    class _RetrySleep:
        @staticmethod
        def sleep(seconds):
            harness.clock.retries.append(seconds)

        time = staticmethod(time.time)

    monkeypatch.setattr(retrier_decl, "time", _RetrySleep)
    monkeypatch.setattr(state_task_service_callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", 0.01)

    from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.generic import string_format

    def format_body(self, env):
        self.argument_list.eval(env=env)
        args = env.stack.pop()
        template = re.sub(r"\\+([{}])", lambda m: m.group(1) * 2, args[0])  # \{ \} are literal braces
        env.stack.append(template.format(*map(self._to_str_repr, args[1:])))

    monkeypatch.setattr(string_format.StringFormat, "_eval_body", format_body)

    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.core.exceptions import JsonRESTError

    original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    def deregister_scalable_target(self, namespace, r_id, dimension):
        if not self._scalable_target_exists(r_id, dimension):  # AWS: ObjectNotFoundException (moto: ValidationException)
            raise JsonRESTError("ObjectNotFoundException", f"No scalable target registered for {r_id}")
        return original_deregister(self, namespace, r_id, dimension)

    monkeypatch.setattr(ApplicationAutoscalingBackend, "deregister_scalable_target", deregister_scalable_target)

    _publish_versions_as_aws(monkeypatch)
    _keep_shadow_variants_and_update_endpoints(monkeypatch, harness)

    from moto.cloudwatch.responses import ActionResult as CloudWatchResult, CloudWatchResponse

    def describe_alarms(self):  # moto's, with StateValue applied together with AlarmNames, as AWS does
        names, state = self._get_param("AlarmNames", []), self._get_param("StateValue")
        alarms = (self.cloudwatch_backend.get_alarms_by_alarm_names(names) if names
                  else self.cloudwatch_backend.describe_alarms())
        alarms = [a for a in alarms if not state or a.state_value == state]
        return CloudWatchResult({"MetricAlarms": [a for a in alarms if a.rule is None],
                                 "CompositeAlarms": [a for a in alarms if a.rule is not None]})

    monkeypatch.setattr(CloudWatchResponse, "describe_alarms", describe_alarms)

    _parse_once(monkeypatch)
    _load_models_once(monkeypatch)
    _event_clock(monkeypatch, harness.clock)
    original_validate = parser_models.StepFunctionsParserBackend._validate_definition

    def validate_definition(definition: str):
        try:
            original_validate(definition)
        except InvalidDefinition:
            if '"ItemBatcher"' not in definition:
                raise  # only the grammar's known gap is let through

    monkeypatch.setattr(parser_models.StepFunctionsParserBackend, "_validate_definition",
                        staticmethod(validate_definition))
    return harness


def _event_clock(monkeypatch, clock: Clock) -> None:
    """EventBridge (moto's events backend: an event's `time`) and the registry library
    (`store.clock`: its decisions' times) read `clock.now`, so `next_second` moves both."""
    import sys

    from moto.events import models as events_models

    from compiler.registry import store

    monkeypatch.setattr(events_models, "unix_time", clock.now)  # moto calls it without a datetime
    monkeypatch.setattr(store, "clock", clock.now)
    monkeypatch.setattr(sys.modules[__name__], "_EVENT_CLOCK", clock)


#: definition -> its ANTLR parse tree (or its syntax errors), for the whole test session
_PARSE_TREES: dict[str, Any] = {}


def _parse_once(monkeypatch) -> None:
    """moto parses a definition with ANTLR when it is created and again when each execution
    starts: about 1.5 s for a deploy pipeline, most of a route test's time. The parse tree of a
    definition never changes, so it is kept; the evaluation components are built afresh from it
    for every execution (they hold an execution's state), exactly as moto builds them."""
    from antlr4 import CommonTokenStream, InputStream
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def parse(definition: str):
        if definition not in _PARSE_TREES:
            listener = asl_parser.SyntaxErrorListener()
            parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
            parser.removeErrorListeners()
            parser.addErrorListener(listener)
            tree = parser.state_machine()
            _PARSE_TREES[definition] = asl_parser.ASLParserException(errors=listener.errors) if listener.errors \
                else tree
        tree = _PARSE_TREES[definition]
        if isinstance(tree, Exception):
            raise tree
        return Preprocessor().visit(tree), tree

    monkeypatch.setattr(asl_parser.AmazonStateLanguageParser, "parse", staticmethod(parse))


#: (search paths, method, arguments) -> what botocore's loader returned, for the whole test session
_LOADED: dict[tuple, Any] = {}


def _load_models_once(monkeypatch) -> None:
    """Every boto3 client the interpreter makes for a Task (one per call) comes from a new
    session, whose loader decodes the service's JSON model again (SageMaker's is 1.5 MB).
    botocore treats loaded models as read-only and each loader already keeps them for its own
    life; here they are kept for the test session."""
    from botocore import loaders

    for name in ("load_service_model", "load_data_with_path"):
        original = getattr(loaders.Loader, name)

        def loaded(self, *args, _original=original, _name=name, **kwargs):
            key = (tuple(self.search_paths), _name, args, tuple(sorted(kwargs.items())))
            if key not in _LOADED:
                _LOADED[key] = _original(self, *args, **kwargs)
            return _LOADED[key]

        monkeypatch.setattr(loaders.Loader, name, loaded)


def _publish_versions_as_aws(monkeypatch) -> None:
    """Lambda's PublishVersion publishes nothing when the function's code and configuration are
    those of its latest version, and returns that version (Lambda API reference, PublishVersion);
    moto publishes anew after any update call, even one that changed nothing."""
    from moto.awslambda.models import LambdaStorage

    original = LambdaStorage.publish_version

    def published_state(function) -> str:
        return json.dumps([function.code_sha_256, function.code, function.environment_vars, function.memory_size,
                           function.timeout], sort_keys=True, default=str)

    def publish_version(self, name_or_arn: str, description: str = ""):
        function = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
        versions = self._functions.get(function.function_name, {}).get("versions") or []
        if versions and published_state(versions[-1]) == published_state(function):
            function.code_or_config_updated = False
        return original(self, name_or_arn, description)

    monkeypatch.setattr(LambdaStorage, "publish_version", publish_version)


def _keep_shadow_variants_and_update_endpoints(monkeypatch, harness) -> None:
    """SageMaker keeps an endpoint config's ShadowProductionVariants and lists them in
    DescribeEndpointConfig and DescribeEndpoint (API reference, CreateEndpointConfig and
    DescribeEndpoint); moto drops them. And moto has no UpdateEndpoint, which `mlopsc registry
    promote-variant` calls through the SDK: it is Harness.update_endpoint, answering a missing
    endpoint or config, or an endpoint not InService (Creating, Updating: "UpdateEndpoint",
    "Cannot update in-progress endpoint"), with SageMaker's ValidationException."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    original_create = SageMakerResponse.create_endpoint_config

    def create_endpoint_config(self):
        created = original_create(self)
        shadows = self._get_param("ShadowProductionVariants")
        if shadows:  # moto's FakeEndpointConfig lists every attribute of its own in its description
            self.sagemaker_backend.endpoint_configs[self._get_param("EndpointConfigName")] \
                .shadow_production_variants = shadows
        return created

    def update_endpoint(self):
        name, config = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        prefix = f"arn:aws:sagemaker:{self.region}:{self.current_account}"
        if name not in self.sagemaker_backend.endpoints:
            raise ValidationError(message=f"Could not find endpoint '{prefix}:endpoint/{name}'.")
        if config not in self.sagemaker_backend.endpoint_configs:
            raise ValidationError(message=f"Could not find endpoint configuration '{prefix}:endpoint-config/{config}'.")
        if self.sagemaker_backend.endpoints[name].endpoint_status != "InService":  # as SageMaker refuses one
            raise ValidationError(message=f"Cannot update in-progress endpoint '{prefix}:endpoint/{name}'.")
        return ActionResult({"EndpointArn": harness.update_endpoint(name, config)})

    monkeypatch.setattr(SageMakerResponse, "create_endpoint_config", create_endpoint_config)
    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)


# ----------------------------------------------------------------------------- running executions

@dataclass
class Execution:
    arn: str
    name: str
    status: str
    error: Optional[str]
    cause: Optional[str]
    output: Any
    events: list = field(repr=False)

    def entered(self) -> list[str]:
        """The states entered, in order."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.events if "stateEnteredEventDetails" in e]

    def parameters(self, state: str) -> list[dict]:
        """The parameters each attempt of a Task state was scheduled with."""
        found, current = [], None
        for event in self.events:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            details = event.get("taskScheduledEventDetails")
            if details and current == state:
                found.append(json.loads(details["parameters"]))
        return found

    def failures(self, state: str) -> list[dict]:
        found, current = [], None
        for event in self.events:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            if event["type"] == "TaskFailed" and current == state:
                found.append(event["taskFailedEventDetails"])
        return found


def _iso_millis(moment: datetime.datetime) -> str:
    """A timestamp as Step Functions writes one: `2026-11-26T01:47:28.123Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def start(sfn, machine: str, name: str, payload: Optional[dict] = None) -> str:
    arn = f"arn:aws:states:{REGION}:{_account()}:stateMachine:{machine}"
    return sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload or {}))["executionArn"]


def wait_for(sfn, execution_arn: str, timeout: float = 30) -> Execution:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            sfn.stop_execution(executionArn=execution_arn)
            raise AssertionError(f"{execution_arn} still running after {timeout}s")
        time.sleep(0.02)
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    output = json.loads(described["output"]) if described.get("output") else None
    return Execution(execution_arn, described["name"], described["status"], described.get("error"),
                     described.get("cause"), output, events)


def execute(sfn, machine: str, name: str, payload: Optional[dict] = None, timeout: float = 30) -> Execution:
    return wait_for(sfn, start(sfn, machine, name, payload), timeout)


def published(topic_arn: str) -> list[dict]:
    """The messages moto's SNS backend kept for the topic: subject and (JSON) message."""
    from moto.sns.models import sns_backends

    topic = sns_backends[_account()][REGION].topics[topic_arn]
    return [{"subject": sent[2], "message": json.loads(sent[1])} for sent in topic.sent_notifications]


def item(session, key: tuple[str, str], table: str = "mlops-registry") -> dict:
    """A registry item as plain values ({} when there is none)."""
    from boto3.dynamodb.types import TypeDeserializer

    found = session.client("dynamodb").get_item(TableName=table, ConsistentRead=True, Key={
        "pk": {"S": key[0]}, "sk": {"S": key[1]}}).get("Item", {})
    return {k: TypeDeserializer().deserialize(v) for k, v in found.items()}


class Registry:
    """One model's registry in an applied account, changed by the production path only: versions
    are registered by whole retrain runs, approved or rolled back through the registry library (as
    `mlopsc registry approve|rollback`), whose ModelApproved event starts the deploy pipeline
    through the `<model>-<env>-deploy-approved` rule apply created, and every event published is
    handed to the registry's handler (test_full_life.Life). No test writes a registry item.

    Creating one installs the rule hook (`start_state_machines_from_rules`): from then on every
    approval starts a deployment, so a test's deployments are the ones its approvals start.
    Steps are kept a second apart on the event clock (`next_second`): the handler orders a
    version's events by their whole second."""

    def __init__(self, account, monkeypatch, model: str, environment: str = "default"):
        from test_full_life import Life

        self.account, self.model, self.environment = account, model, environment
        self.life = Life(account, monkeypatch)
        self.started = self.life.started

    @property
    def store(self):
        from compiler.registry import store

        return store.EnvironmentRegistry.connect(store.locate_one(self.account.out, self.environment, self.model))

    def register(self, version: str, metrics: Optional[dict] = None, payload: Optional[dict] = None) -> Execution:
        """A whole retrain run named `version` (its evaluate stage writes `metrics`): it registers
        the version. The stages it ran are forgotten, so a test sees only its own."""
        harness = self.account.harness
        if metrics is not None:
            harness.stages.metrics = metrics
        next_second()
        run = execute(self.account.sfn, f"{self.model}-{self.environment}-retrain", version,
                      payload or {"trigger": "schedule"})
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        self.life.deliver()
        harness.stages.runs.clear()
        return run

    def approve(self, version: str, reason: Optional[str] = None) -> str:
        """Approve (the registry library, as the CLI): returns the ARN of the deploy it started."""
        return self._started(lambda: self.store.approve(version, reason))

    def rollback(self, to: str) -> str:
        """Deploy `to` again (`mlopsc registry rollback --to`): returns the ARN of the deploy."""
        return self._started(lambda: self.store.rollback(to))

    def _started(self, decide) -> str:
        next_second()
        before = len(self.started)
        decide()
        assert len(self.started) == before + 1, "the decision started no deployment"
        return self.started[-1]["arn"]

    def deploy(self, version: str, rollback: bool = False, reason: Optional[str] = None) -> Execution:
        """Approve `version` (or roll back to it) and follow the deployment it starts to its end;
        its events then reach the handler (the approved pointer follows a succeeded one)."""
        arn = self.rollback(version) if rollback else self.approve(version, reason)
        return self.finished(arn)

    def finished(self, arn: str) -> Execution:
        run = wait_for(self.account.sfn, arn)
        self.life.deliver()
        return run

    def release(self, version: str, metrics: Optional[dict] = None) -> Execution:
        """Registered, approved and deployed: the version live, as the platform leaves it."""
        self.register(version, metrics)
        run = self.deploy(version)
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        self.account.harness.stages.runs.clear()
        return run


def create_subnets(session, subnet_ids: list[str]) -> None:
    """The platform's subnets, by their IDs (moto's ECS attaches each Fargate task's network
    interface to the first one). EC2 chooses subnet IDs, so each is created and then re-keyed in
    moto's EC2 backend: the platform's network is not something mlopsc creates either."""
    from moto.ec2.models import ec2_backends

    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto's ENIs need a DNS name
    backend = ec2_backends[_account()][REGION]
    for index, wanted in enumerate(subnet_ids):
        created = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24")["Subnet"]
        zone = backend.subnets[created["AvailabilityZone"]]
        subnet = zone.pop(created["SubnetId"])
        subnet.id = wanted
        zone[wanted] = subnet


def new_session():
    return boto3.session.Session(region_name=REGION)


# ----------------------------------------------------------------------------- an account, applied

@dataclass
class Account:
    session: Any
    harness: Harness
    out: Any
    sfn: Any
    topic: str


def _platform_of(out) -> dict:
    """What the compiled definitions name of the platform: topics, clusters, subnets, buckets."""
    found = {"topics": set(), "clusters": set(), "subnets": set(), "buckets": set()}

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "TopicArn" and isinstance(inner, str):
                    found["topics"].add(inner)
                elif key == "Cluster" and isinstance(inner, str):
                    found["clusters"].add(inner)
                elif key == "Subnets" and isinstance(inner, list):
                    found["subnets"].update(inner)
                elif key == "Bucket" and isinstance(inner, str):
                    found["buckets"].add(inner)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        elif isinstance(value, str) and value.startswith("s3://"):
            found["buckets"].add(split_s3(value)[0])

    for path in sorted(out.glob("*/*/*.asl.json")):
        walk(json.loads(path.read_text()))
    return found


def create_serving_functions(session, out, environment: str, digest: str) -> None:
    """The Lambda functions the deploy pipelines update, as the platform team creates them before
    apply (which refuses a missing one, compiler/apply/function.py): from the image of the runtime
    the deploy serves with, with the environment's task role as execution role (docs/monitoring.md:
    the function runs as the task role). The role is given Lambda's trust too, as the platform would."""
    from compiler.apply.function import functions_updated

    iam, functions = session.client("iam"), session.client("lambda")
    for manifest in sorted(out.glob(f"*/{environment}/manifest.json")):
        definitions = {path.name: json.loads(path.read_text()) for path in sorted(manifest.parent.glob("*.asl.json"))}
        names = sorted(set(functions_updated(definitions)))
        if not names:
            continue
        task_role = json.loads(manifest.read_text())["target"]["task_role"]
        iam.update_assume_role_policy(RoleName=task_role.rsplit("/", 1)[-1], PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
                "Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}}]}))
        pointers = json.loads((manifest.parent / "pointers.json").read_text())["images"]
        deploy = json.dumps(definitions["deploy.asl.json"])
        (runtime,) = {m.group(1) for m in re.finditer(r"images\.M\['([^']+)'\]", deploy)}  # the one it serves
        for name in names:
            functions.create_function(FunctionName=name, PackageType="Image", Role=task_role,
                                      Code={"ImageUri": f"{pointers[runtime]['repository']}@sha256:{digest}"})


def applied(monkeypatch, tmp_path, samples: list, environment: str = "default", account: str = ACCOUNT):
    """A context manager: moto (executing state machines) with the harness installed, the platform's
    resources created, and the samples compiled and applied by `compiler.apply.apply` as
    `mlopsc apply --images ... --commit ...` would; runs apply started (on_commit) are awaited and
    forgotten, so each test starts from a quiet account."""
    import contextlib
    import os

    from moto import mock_aws

    from compiler import api, apply
    from compiler.artifacts import write
    from moto_aws import create_platform

    @contextlib.contextmanager
    def context():
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_REGION", REGION), ("AWS_DEFAULT_REGION", REGION), ("MOTO_ACCOUNT_ID", account),
                            ("AWS_CONFIG_FILE", os.devnull), ("AWS_SHARED_CREDENTIALS_FILE", os.devnull),
                            ("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")):  # 5,000 AMIs nobody uses: 0.5 s a test
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        result = api.compile_outputs([str(s) for s in samples], None, environment)
        assert result.validation.ok, result.validation.problems
        out = tmp_path / "out"
        write.write(out, result.outputs)
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            session = new_session()
            harness = install(monkeypatch, session)
            create_platform(session, out)
            platform = _platform_of(out)
            for cluster in sorted(platform["clusters"]):
                session.client("ecs").create_cluster(clusterName=cluster)
            create_subnets(session, sorted(platform["subnets"]))
            made = {bucket["Name"] for bucket in session.client("s3").list_buckets()["Buckets"]}  # data buckets
            for bucket in sorted(platform["buckets"] - made):
                session.client("s3").create_bucket(Bucket=bucket,
                                                   CreateBucketConfiguration={"LocationConstraint": REGION})
            for topic in sorted(platform["topics"]):
                session.client("sns").create_topic(Name=topic.rsplit(":", 1)[-1])
            images = {}
            for pointers_file in sorted(out.glob(f"*/{environment}/pointers.json")):
                for runtime, pointer in json.loads(pointers_file.read_text())["images"].items():
                    images[runtime] = f"{pointer['repository']}@sha256:{'1' * 64}"
            images_path = tmp_path / "images.json"
            images_path.write_text(json.dumps(images))
            _write_published(out, environment, images_path)
            create_serving_functions(session, out, environment, "1" * 64)
            outcome = apply.Outcome()
            apply.apply(apply.Request(out, environment, images_path, "a" * 40, 100), outcome)
            assert outcome.failure is None, outcome.failure
            sfn = session.client("stepfunctions")
            for machine in sfn.list_state_machines()["stateMachines"]:
                for run in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
                    wait_for(sfn, run["executionArn"])
            harness.stages.runs.clear()
            harness.sagemaker_requests.clear()
            harness.clock.waits.clear()
            harness.clock.retries.clear()
            topic = sorted(platform["topics"])[0]
            from moto.sns.models import sns_backends

            sns_backends[account][REGION].topics[topic].sent_notifications.clear()
            try:
                yield Account(session, harness, out, sfn, topic)
            finally:
                for machine in sfn.list_state_machines()["stateMachines"]:
                    for run in sfn.list_executions(stateMachineArn=machine["stateMachineArn"],
                                                   statusFilter="RUNNING")["executions"]:
                        sfn.stop_execution(executionArn=run["executionArn"])

    return context()


#: The package a build with `build.publish` published (its published.json, beside images.json).
PUBLISHED_VERSION = "0.1.0.post1765000000"


def _write_published(out, environment: str, images_path) -> None:
    """published.json beside images.json when a compiled environment publishes a package."""
    for pointers_file in sorted(out.glob(f"*/{environment}/pointers.json")):
        package = json.loads(pointers_file.read_text()).get("package")
        if package:
            stem = f"churn-{PUBLISHED_VERSION}"
            images_path.with_name("published.json").write_text(json.dumps({
                "package": "churn", "version": PUBLISHED_VERSION, "repository": package["repository"],
                "files": {f"{stem}-py3-none-any.whl": "2" * 64, f"{stem}.tar.gz": "3" * 64}}))


def apply_again(account, samples: list, environment: str = "default", digest: str = "1" * 64,
                commit: str = "b" * 40, commit_time: int = 200) -> None:
    """A later commit applied to the account, as `mlopsc apply` does after a merge: `samples`
    compiled into the same OUT and applied with every image at `digest` (a new build) and a newer
    commit time (the pointers follow it). Runs apply started are awaited."""
    from compiler import api, apply
    from compiler.artifacts import write

    result = api.compile_outputs([str(s) for s in samples], None, environment)
    assert result.validation.ok, result.validation.problems
    write.write(account.out, result.outputs)
    images = {}
    for pointers_file in sorted(account.out.glob(f"*/{environment}/pointers.json")):
        for runtime, pointer in json.loads(pointers_file.read_text())["images"].items():
            images[runtime] = f"{pointer['repository']}@sha256:{digest}"
    images_path = account.out.parent / f"images-{commit}.json"
    images_path.write_text(json.dumps(images))
    outcome = apply.Outcome()
    apply.apply(apply.Request(account.out, environment, images_path, commit, commit_time), outcome)
    assert outcome.failure is None and not outcome.kept and not outcome.superseded, (
        outcome.failure, outcome.kept, outcome.superseded)
    for machine in account.sfn.list_state_machines()["stateMachines"]:
        for run in account.sfn.list_executions(stateMachineArn=machine["stateMachineArn"],
                                               statusFilter="RUNNING")["executions"]:
            wait_for(account.sfn, run["executionArn"])


# ----------------------------------------------------------------------------- EventBridge rules -> state machines

def start_state_machines_from_rules(monkeypatch) -> list[dict]:
    """Opt-in (nothing else in this module calls it): EventBridge rules whose target is a state
    machine start it, as EventBridge does. moto 5.2.5's `Rule.send_to_targets` supports log
    groups, archives, SQS and buses only (a `states` target raises NotImplementedError), and its
    InputTransformer inserts a string value raw where the template has the placeholder unquoted
    (`{"version": <version>}` -> invalid JSON), where EventBridge inserts it as a JSON string.
    Here the rule's own pattern decides, the target's InputTransformer is applied as EventBridge
    documents it (outside quotes: the value as JSON; inside a quoted string: its text), and the
    execution is started in moto's Step Functions backend. Other targets go to moto unchanged.
    Returns the list of started executions ({"rule", "arn", "input"}), in order."""
    import copy

    from jsonpath_ng.ext import parse as jsonpath
    from moto.events.models import Rule
    from moto.stepfunctions.responses import get_backend
    from moto.utilities.arns import parse_arn

    started: list[dict] = []
    original = Rule.send_to_targets

    def transformed(target: dict, event: dict) -> str:
        transformer = target.get("InputTransformer")
        if transformer is None:
            return json.dumps(event) if "Input" not in target else target["Input"]
        values = {}
        for name, path in transformer.get("InputPathsMap", {}).items():
            found = jsonpath(path).find(event)
            values[name] = found[0].value if found else None
        template, text, quoted, index = transformer["InputTemplate"], [], False, 0
        while index < len(template):
            char = template[index]
            if char == "\\" and quoted:
                text.append(template[index:index + 2])
                index += 2
                continue
            if char == '"':
                quoted = not quoted
            match = re.match(r"<([A-Za-z0-9_.\-]+)>", template[index:]) if char == "<" else None
            if match and match.group(1) in values:
                value = values[match.group(1)]
                if quoted:
                    text.append(json.dumps(value if isinstance(value, str) else json.dumps(value))[1:-1])
                else:
                    text.append(json.dumps(value))
                index += len(match.group(0))
                continue
            text.append(char)
            index += 1
        return "".join(text)

    def send_to_targets(self, original_event, transform_input=True):
        machines = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        # A scheduled rule has no pattern, which moto matches to every event; in AWS only its
        # schedule starts it, never an event.
        if machines and not self.scheduled_expression and self.event_pattern.matches_event(original_event):
            for target in machines:
                arn = parse_arn(target["Arn"])
                backend = get_backend(arn.account, arn.region)
                payload = transformed(target, original_event)
                json.loads(payload)  # EventBridge sends JSON
                execution = backend.start_execution(target["Arn"], name=original_event["id"],
                                                    execution_input=payload)
                started.append({"rule": self.name, "arn": execution.execution_arn, "input": json.loads(payload)})
        others = [t for t in self.targets if t not in machines]
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)

    monkeypatch.setattr(Rule, "send_to_targets", send_to_targets)
    return started
