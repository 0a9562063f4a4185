"""Render the state machines: compute each pipeline's template context, render the Jinja2
template, parse the text back (a template bug can never produce invalid JSON silently) and
return the definition as data."""

from __future__ import annotations

import functools
import json
import re

import jinja2

from compiler import names
from compiler.model import ModelConfig, Poll, RetrainPipeline, Stage
from compiler.render import naming as ctx
from compiler.render import alarms
from compiler.render.naming import Naming

ECS_SYNC = "ecs:runTask.sync"
#: Retries for calls to AWS APIs (throttling, brief unavailability), not for stage failures.
SERVICE_RETRY = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}]
#: Room for the pipeline's own bookkeeping states on top of its stages' time-outs.
BOOKKEEPING_SECONDS = 3600
#: The error names a Catch takes as a whole class rather than as an answer: a Catcher with only
#: these is the fallback after the specific ones, and does not stop their retries.
CATCH_ALL_ERRORS = frozenset({"States.ALL", "States.TaskFailed"})


def retriers(retry: list | None, catch: list | None) -> list:
    """A Task's Retry field: `retry`, preceded by a Retrier that never retries the errors its
    Catch names specifically (ConditionalCheckFailed, ResourceNotFound, ObjectNotFound, ...).

    Those errors are answers, not transient failures, and `States.TaskFailed` in SERVICE_RETRY
    "matches any known error name except States.Timeout", so without this they would be retried
    before being caught (a conditional write that had succeeded fails its retry on its own
    condition). Step Functions scans the Retriers in order and applies the first whose
    ErrorEquals names the error; MaxAttempts 0 "indicates that the error should never be
    retried" (Step Functions Developer Guide, "Handling errors in Step Functions workflows":
    "Error names", "Retrying after an error"; ASL specification, "Retrying after error")."""
    if not retry:
        return []
    answers = sorted({error for catcher in catch or () for error in catcher["ErrorEquals"]} - CATCH_ALL_ERRORS)
    return ([{"ErrorEquals": answers, "MaxAttempts": 0}] if answers else []) + list(retry)


def _tojson(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _members(text: str) -> str:
    """Close a run of `"Name": {...},` members: drop the last comma."""
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith(",") else stripped


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("compiler", "templates/asl"),
                             undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["members"] = _members
    # Plain JSON: the output is JSON, not HTML, so Jinja's HTML-safe escaping is wasted work.
    env.filters["tojson"] = _tojson
    env.globals["retriers"] = retriers
    return env


def render(template: str, context: dict) -> dict:
    text = environment().get_template(template).render(**context)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:  # a template bug, never a config problem
        raise RuntimeError(f"{template} rendered invalid JSON: {error}") from None


def definitions(config: ModelConfig) -> dict:
    """Pipeline name -> ASL definition (as data), for each configured pipeline."""
    naming = Naming(config)
    builders = {"retrain": _retrain, "deploy": _deploy, "batch": _batch, "drift": _drift}
    return {pipeline: builders[pipeline](naming) for pipeline in config.pipelines}


# --------------------------------------------------------------------------- shared parts

def _base(naming: Naming, pipeline: str, comment: str) -> dict:
    events_failure = _failure(naming, pipeline, "event publishing failed", "EventsFailed",
                              "An event could not be published to EventBridge, so the registry would miss it.",
                              event=None)
    return {"p": naming.platform, "service_retry": SERVICE_RETRY, "comment": comment,
            "events_failure": events_failure}


def _failure(naming: Naming, pipeline: str, label: str, error: str, cause: str, event: str | None,
             record: dict | None = None, extra_detail: dict | None = None) -> dict:
    """The notify -> (record) -> (publish) -> Fail chain of one way of failing; no publish
    when `event` is None (when publishing is what failed)."""
    notification = ctx.notification(naming, pipeline, label, cause, extra_detail or {})
    detail = {"what": label, "error": error, **(extra_detail or {}), "state.$": "$"}
    return {
        "notify_state": f"Notify {label}",
        "record_state": f"Record {label}" if record else None,
        "publish_state": f"Publish {label}" if event else None,
        "fail_state": f"{label[0].upper()}{label[1:]}",
        "notification": notification,
        "record": record,
        "event": ctx.put_event(naming, pipeline, event, detail) if event else None,
        "error": error,
        "cause": cause,
    }


def _pointers(naming: Naming, pipeline: str, runtimes: list, task_keys: list, then: str = "Publish run started") -> dict:
    """Read the pointers, check the images and task definitions the pipeline runs are there, then
    `then` (the run is announced by `Publish run started`, which may come after a gate)."""
    checks = [{"Variable": naming.image(runtime), "IsPresent": True} for runtime in runtimes]
    checks += [{"Variable": f"{naming.pointers}.task_definitions.M['{key}'].S", "IsPresent": True} for key in task_keys]
    return {
        "get_item": {"TableName": naming.platform.registry_table, "Key": naming.key(naming.pointers_key),
                     "ConsistentRead": True},
        "check": {"And": [{"Variable": naming.pointers, "IsPresent": True}] + checks, "Next": then},
        "started_event": ctx.put_event(naming, pipeline, "RunStarted", {}),
        "failure": _failure(naming, pipeline, "pointers missing", "PointersMissing",
                            "The registry has no image for a runtime this pipeline runs: has the build stage run and apply written its images?",
                            "RunFailed"),
        "read_failure": _failure(naming, pipeline, "registry read failed", "RegistryReadFailed",
                                 "The registry table could not be read (after retries).", "RunFailed"),
    }


def _retry(stage: Stage) -> list:
    retry = stage.retry
    if retry.max_attempts == 0:
        return []
    return [{"ErrorEquals": list(retry.errors), "IntervalSeconds": retry.interval_seconds,
             "MaxAttempts": retry.max_attempts, "BackoffRate": retry.backoff_rate}]


#: What a stage's state allows on top of the stage's own limit (`timeout`, or the spot wait): the
#: job's limit counts its running time, while the state also waits through what comes before and
#: after it. SageMaker provisions the instances and pulls the image first (status `Starting`),
#: gives a stopped algorithm 120 s after SIGTERM to save its artifacts, then uploads the output
#: (SageMaker API reference, StoppingCondition; DescribeTrainingJob, SecondaryStatus); Fargate
#: provisions the task's network interface and pulls the image (task lifecycle PROVISIONING,
#: PENDING). With the same limit, the state would time out first, mid-upload, as States.Timeout
#: instead of the job's own clear failure. On Fargate, where nothing else limits a task, the
#: stage's limit is the state's: `timeout` plus this margin.
STATE_MARGIN_SECONDS = 900


def _stage_timeout(stage: Stage) -> int:
    """A stage's state time-out: the job's own limit and the margin."""
    limit = ctx.spot_max_wait(stage) if stage.spot else stage.timeout_seconds
    return limit + STATE_MARGIN_SECONDS


def _container_step(naming: Naming, pipeline: str, stage: Stage, input_uri: str, params, extra_env=None,
                    task_scope: Naming | None = None) -> dict:
    """A stage that runs a container: a Fargate task or a SageMaker processing job. The task's
    parameters read the run id and pointers where `task_scope` says (a Distributed Map's child
    execution: under `$.BatchInput`); the step's events and failure chain run in the pipeline's
    own execution, so they always read them where `naming` says."""
    scope = task_scope or naming
    environment = ctx.stage_environment(scope, pipeline, stage, input_uri, params, extra_env)
    if stage.compute == "fargate":
        resource = f"arn:{naming.platform.partition}:states:::{ECS_SYNC}"
        parameters = ctx.ecs_run_task(scope, pipeline, stage, environment)
        # runTask.sync outputs the stopped task (DescribeTasks' Tasks[0]), whose members ECS marks
        # all optional, and nothing downstream reads it: the result is dropped (see SELECTING).
        step = _step(naming, pipeline, stage, resource, parameters, None)
        step["result_path"] = None
        return step
    resource = f"arn:{naming.platform.partition}:states:::sagemaker:createProcessingJob.sync"
    parameters = ctx.sagemaker_processing(scope, pipeline, stage, environment)
    return _step(naming, pipeline, stage, resource, parameters, {"job_name.$": "$.ProcessingJobName"})


#: SELECTING WHAT A STATE KEEPS OF AN AWS RESPONSE, the rule for every pipeline: a ResultSelector
#: reads only members the API's output shape marks `required` (botocore's service model, as
#: `mlopsc verify` proves). A ResultSelector that reads an absent member fails the state with
#: States.Runtime, which no Catch takes, not even States.ALL (Step Functions developer guide,
#: "Error names": "A retry or catch on States.ALL won't catch States.Runtime errors"): the
#: execution would end without a notification. So a state that needs an optional member keeps
#: the response under its ResultPath, a Choice tests the member (`IsPresent`) and its Default is
#: a named failure chain (notify -> record -> publish -> Fail, `_failure`); a Pass then selects
#: what is needed over the response. A member nothing downstream reads is not selected at all.
_RESPONSE_ROOT = re.compile(r"(?<!\$)\$(?=[.\[])")


def _select_present(result_path: str, check_state: str, select_state: str, selector: dict, optional: list,
                    missing_state: str, next_state: str | None = None) -> dict:
    """The Choice and Pass of SELECTING for a response kept at `result_path`: `selector` is written
    as a ResultSelector would be (reading the response at `$`), `optional` names the members the
    Choice requires (relative to the response); absent -> `missing_state`."""
    def under(value: str) -> str:
        return _RESPONSE_ROOT.sub(lambda _: result_path, value)

    tests = [{"Variable": under(f"$.{member}"), "IsPresent": True} for member in optional]
    check = {"And": tests} if len(tests) > 1 else tests[0]
    return {
        "check_state": check_state,
        "check": {**check, "Next": select_state},
        "select_state": select_state,
        "parameters": {key: under(value) if key.endswith(".$") else value for key, value in selector.items()},
        "result_path": result_path,
        "missing_state": missing_state,
        "failure": None,  # the failure chain missing_state starts, when no other state renders it
        "next": next_state,
    }


def _step(naming: Naming, pipeline: str, stage: Stage, resource: str, parameters: dict, selector: dict) -> dict:
    title = stage.name.capitalize()
    return {
        "name": title,
        "resource": resource,
        "parameters": parameters,
        "result_selector": selector,
        "result_path": f"$.stages.{stage.name}",
        "timeout": _stage_timeout(stage),
        "retry": _retry(stage),
        "published_state": f"Publish {stage.name} succeeded",
        "succeeded_event": ctx.put_event(naming, pipeline, "StageSucceeded", {"stage": stage.name}),
        "failure": _failure(naming, pipeline, f"{stage.name} failed", f"{title}Failed",
                            f"The {stage.name} stage failed after its retries.", "StageFailed",
                            extra_detail={"stage": stage.name}),
        "present": None,  # a `_select_present` between the task and its success event, if any
        "next": None,
    }


def _chain(steps: list, last_next: str) -> list:
    for step, following in zip(steps, steps[1:] + [None]):
        step["next"] = following["name"] if following else last_next
    return steps


# --------------------------------------------------------------------------- retrain

def _retrain(naming: Naming) -> dict:
    retrain = naming.config.retrain
    steps = _retrain_steps(naming, retrain)
    stages = ctx.retrain_stages(naming.config)
    runtimes = sorted({s.runtime for s in stages} | ({retrain.tune.stage.runtime} if retrain.tune else set()))
    task_keys = [f"retrain-{s.name}" for s in stages if s.compute == "fargate"]
    gate = _gate(naming, retrain) if retrain.gate else None
    _chain(steps, "Read metrics" if gate else "Register model version")
    timeout = sum(_stage_timeout(s) * (1 + s.retry.max_attempts) for s in stages)
    if retrain.tune:
        tune = retrain.tune
        rounds = -(-(tune.max_jobs or 100) // tune.max_parallel_jobs)
        timeout += rounds * _stage_timeout(tune.stage)
    drift_gate = _drift_gate(naming)
    return render("retrain.asl.json.j2", {
        **_base(naming, "retrain", f"Retrain {naming.config.name} ({naming.config.environment}): "
                + " -> ".join(s["name"].lower() for s in steps) + (" -> gate" if gate else "") + " -> register"
                + (f"; a drift alarm retrains at most once per UTC {drift_gate['period']}" if drift_gate else "")),
        "timeout": timeout + BOOKKEEPING_SECONDS,
        "pointers": _pointers(naming, "retrain", runtimes, task_keys, DRIFT_GATE if drift_gate else RUN_STARTED),
        "drift_gate": drift_gate,
        "static_hyperparameters": dict(retrain.hyperparameters) if retrain.tune else None,
        "steps": steps,
        "gate": gate,
        "register": _register(naming, retrain),
    })


def _retrain_steps(naming: Naming, retrain: RetrainPipeline) -> list:
    """The retrain steps in run order, each stage given the previous one's output.

    The monitor's baseline stage (`monitor.baseline`) runs after train and before evaluate. Its
    contract: MLOPS_INPUT_URI is the data train read (`data.source`, or transform's output), and
    it writes `statistics.json` and `constraints.json`, in SageMaker Model Monitor's formats, to
    MLOPS_OUTPUT_URI. That URI is registered as the version's `baseline_uri`; the drift checks
    of that version (Model Monitor's schedule, or the model's own drift job) compare with it.
    """
    steps, input_uri = [], retrain.data_source
    extra = {"MLOPS_DATA_URI": retrain.data_source}
    for stage in (retrain.validate, retrain.transform):
        if stage:
            steps.append(_container_step(naming, "retrain", stage, input_uri, None, extra))
            input_uri = naming.stage_output("retrain", stage.name)
    if retrain.tune:
        steps.append(_tune_step(naming, retrain, input_uri))
    steps.append(_train_step(naming, retrain, input_uri, extra))
    baseline = naming.config.monitor.baseline if naming.config.monitor else None
    if baseline:
        # The baseline describes the data the model learnt from: the input train read.
        steps.append(_container_step(naming, "retrain", baseline, input_uri, None, extra))
    if retrain.evaluate:
        steps.append(_container_step(naming, "retrain", retrain.evaluate,
                                     naming.stage_output("retrain", retrain.train.name), None, extra))
    return steps


def _train_step(naming: Naming, retrain: RetrainPipeline, input_uri: str, extra: dict) -> dict:
    train = retrain.train
    merged = "States.JsonMerge($.hyperparameters, $.stages.tune.hyperparameters, false)"
    if train.compute == "fargate":
        params = f"States.JsonToString({merged})" if retrain.tune else json.dumps(dict(retrain.hyperparameters),
                                                                                  sort_keys=True)
        return _container_step(naming, "retrain", train, input_uri, params, extra)
    hyperparameters = merged if retrain.tune else dict(retrain.hyperparameters)
    env = ctx.stage_environment(naming, "retrain", train, input_uri, None, extra)
    return _step(naming, "retrain", train, f"arn:{naming.platform.partition}:states:::sagemaker:createTrainingJob.sync",
                 ctx.sagemaker_training(naming, train, env, input_uri, hyperparameters),
                 {"job_name.$": "$.TrainingJobName", "model_data.$": "$.ModelArtifacts.S3ModelArtifacts"})


#: The state after the pointers check, and the first state of a retrain's drift check.
RUN_STARTED, DRIFT_GATE = "Publish run started", "Started by drift?"
#: The first state that finds the version that serves, and where a drift check without one goes on.
LIVE_VERSION, NO_LIVE_VERSION = "Read deployment", "No live version"
#: The baseline of the version read into `$.model_version` (deploy: the one deployed; drift: the live one).
VERSION_BASELINE = "$.model_version.Item.baseline_uri.S"


def _drift_gate(naming: Naming) -> dict | None:
    """A drift alarm starts the retrain pipeline with `{"trigger": "drift", "alarm": "<name>"}`
    (triggers.json). Such a run first claims its cool-down window, one registry item per window
    (`DRIFT#<env>#<UTC date>`, or date and hour), written only if absent: the first run of a
    window goes on and records the alarm and the version that served when drift was detected;
    any later one in that window (a flapping alarm) ends at once in `Cooling down`, having run
    nothing and published nothing. Runs started otherwise skip all of it."""
    config = naming.config
    drift = config.monitor.drift if config.monitor else None
    if drift is None or not drift.retrain:
        return None
    window = ctx.COOLDOWN_WINDOWS[drift.cooldown]
    item = {
        "pk": {"S": naming.model_key},
        "sk": {"S.$": ctx.states_format(naming.drift_key_prefix + "{}", window)},
        "model": {"S": config.name},
        "environment": {"S": config.environment},
        "window": {"S.$": window},
        "cooldown": {"S": drift.cooldown},
        "alarm": {"S.$": "$.alarm"},
        "live_version": {"S.$": "$.live.version"},
        "detected_at": {"S.$": "$$.State.EnteredTime"},
        "execution": {"S.$": "$$.Execution.Id"},
    }
    period = "hour" if drift.cooldown == "1h" else "day"
    return {
        "period": period,
        "started_by_drift": {"And": [{"Variable": "$.trigger", "IsPresent": True}, {"Variable": "$.trigger", "IsString": True},
                                     {"Variable": "$.trigger", "StringEquals": "drift"},
                                     {"Variable": "$.alarm", "IsPresent": True}, {"Variable": "$.alarm", "IsString": True}],
                             "Next": LIVE_VERSION},
        "live": _live_version(naming, "Claim drift window", NO_LIVE_VERSION),
        "claim": _put_once(naming, item),
        "cooling_down": f"A drift-started retrain of this UTC {period} has started already: this one starts nothing.",
        "event": ctx.put_event(naming, "retrain", "DriftDetected",
                               {"alarm.$": "$.alarm", "live_version.$": "$.live.version", "window.$": window}),
        "failure": _failure(naming, "retrain", "drift not recorded", "DriftNotRecorded",
                            "The drift alarm could not be recorded in the registry, so no retrain started.", "RunFailed"),
    }



def _put_once(naming: Naming, item: dict) -> dict:
    """A registry PutItem that writes `item` only if no other execution has written it (the item
    names its execution). The write is idempotent for its own execution: when a write that
    succeeded is retried (its answer was lost: a time-out, a 5xx after the commit), the retry
    finds the item it wrote and succeeds, instead of failing its own condition."""
    assert item["execution"] == {"S.$": "$$.Execution.Id"}, "the item must name its execution"
    return {"TableName": naming.platform.registry_table, "Item": item,
            "ConditionExpression": "attribute_not_exists(pk) OR #execution = :execution",
            "ExpressionAttributeNames": {"#execution": "execution"},
            "ExpressionAttributeValues": {":execution": {"S.$": "$$.Execution.Id"}}}


def _live_version(naming: Naming, found: str, nothing: str) -> dict:
    """Which version serves now, into `$.live.version`: the last deployment's when it succeeded
    (the deploy pipeline's DEPLOYMENT item), else the registry's approved pointer (which names the
    last successful deployment: after a failed or rolled-back one, the version still serving);
    neither -> `nothing`."""
    deployment = "$.deployment.Item"
    return {
        "get_item": {"TableName": naming.platform.registry_table, "Key": naming.key(naming.deployment_key),
                     "ConsistentRead": True},
        "choices": [
            {"And": [{"Variable": f"{deployment}.status.S", "IsPresent": True},
                     {"Variable": f"{deployment}.status.S", "StringEquals": "deployed"},
                     {"Variable": f"{deployment}.version.S", "IsPresent": True}], "Next": "Live: last deployment"},
            {"Variable": f"{naming.pointers}.approved_version.S", "IsPresent": True, "Next": "Live: approved version"}],
        "from_deployment": {"version.$": f"{deployment}.version.S"},
        "from_pointer": {"version.$": f"{naming.pointers}.approved_version.S"},
        "found": found,
        "nothing": nothing,
    }


def _tune_step(naming: Naming, retrain: RetrainPipeline, input_uri: str) -> dict:
    tune = retrain.tune
    extra = {"MLOPS_DATA_URI": retrain.data_source}
    if tune.stage.command is not None:
        extra[names.COMMAND_VARIABLE] = names.command_value(tune.stage.command)
    env = ctx.stage_environment(naming, "retrain", tune.stage, input_uri, None, extra)
    parameters = ctx.sagemaker_tuning(naming, tune, dict(retrain.hyperparameters), env, input_uri)
    step = _step(naming, "retrain", tune.stage,
                 f"arn:{naming.platform.partition}:states:::sagemaker:createHyperParameterTuningJob.sync", parameters,
                 None)
    step["timeout"] = -(-(tune.max_jobs or 100) // tune.max_parallel_jobs) * _stage_timeout(tune.stage)
    # DescribeHyperParameterTuningJob's BestTrainingJob is optional (a tuning job can complete
    # without one, e.g. no training job reported the objective metric): SELECTING.
    no_best = _failure(naming, "retrain", "tune found no best training job", "NoBestTrainingJob",
                       "The tuning job completed without a best training job (did any training job report "
                       "the objective metric?), so there are no tuned hyper-parameters to train with.",
                       "StageFailed", extra_detail={"stage": tune.stage.name})
    step["present"] = _select_present(
        step["result_path"], "Best training job found?", "Keep tuned hyper-parameters",
        {"job_name.$": "$.HyperParameterTuningJobName", "best_training_job.$": "$.BestTrainingJob.TrainingJobName",
         "hyperparameters.$": "$.BestTrainingJob.TunedHyperParameters"},
        ["BestTrainingJob"], no_best["notify_state"], step["published_state"])
    step["present"]["failure"] = no_best
    return step


_COMPARISONS = {"below": "NumericLessThan", "above": "NumericGreaterThan",
                "at_most": "NumericLessThanEquals", "at_least": "NumericGreaterThanEquals"}


def metric_variable(metric: str) -> str:
    """The JSONPath of a gate metric in the parsed metrics.json: each dot of the metric steps into a
    nested object (`regression_metrics.mse.value`, the layout of SageMaker's evaluation.json), a
    plain name is a top-level key. Bracket notation, as the names may hold ':' and '-'."""
    return "$.metrics.values" + "".join(f"['{key}']" for key in metric.split("."))


def _gate(naming: Naming, retrain: RetrainPipeline) -> dict:
    checks = []
    for condition in retrain.gate:
        variable = metric_variable(condition.metric)
        checks += [{"Variable": variable, "IsPresent": True}, {"Variable": variable, "IsNumeric": True},
                   {"Variable": variable, _COMPARISONS[condition.comparison]: condition.threshold}]
    described = ", ".join(f"{c.metric} {c.comparison.replace('_', ' ')} {c.threshold}" for c in retrain.gate)
    key = naming.run_prefix("retrain") + "evaluate/metrics.json"
    missing = _failure(naming, "retrain", "metrics missing", "MetricsMissing",
                       "The evaluate stage wrote no readable metrics.json.", "GateFailed")
    return {
        "get_object": {"Bucket": naming.platform.artifact_bucket, "Key.$": ctx.states_format(key, naming.run_id)},
        # GetObject's Body is optional in S3's output shape: SELECTING.
        "read": _select_present("$.metrics", "Metrics read?", "Parse metrics",
                                {"values.$": "States.StringToJson($.Body)"}, ["Body"], missing["notify_state"],
                                "Check gate"),
        "passes": {"And": checks, "Next": "Register model version"},
        "missing": missing,
        "failure": _failure(naming, "retrain", "gate failed", "GateFailed",
                            f"The evaluation metrics did not pass the gate ({described}).", "GateFailed"),
    }


def _register(naming: Naming, retrain: RetrainPipeline) -> dict:
    approval = "approved" if retrain.approval == "auto" else "pending"
    train = retrain.train
    model_data = "$.stages.train.model_data" if train.compute == "sagemaker" else None
    item = {
        "pk": {"S": naming.model_key},
        "model": {"S": naming.config.name},
        "environment": {"S": naming.config.environment},
        "version": {"S.$": naming.run_id},
        "approval": {"S": approval},
        "images": {"M.$": f"{naming.pointers}.images.M"},
        # apply writes images only with the commit they were built from, so both are there.
        "code_commit": {"S.$": f"{naming.pointers}.commit.S"},
        "data_source": {"S": retrain.data_source},
        "model_data": {"S.$": model_data or naming.stage_output("retrain", "train")},
        "execution": {"S.$": "$$.Execution.Id"},
        "registered_at": {"S.$": "$$.State.EnteredTime"},
    }
    item["sk"] = {"S.$": ctx.states_format(naming.version_key_prefix() + "{}", naming.run_id)}
    if retrain.gate:
        item["metrics"] = {"S.$": "States.JsonToString($.metrics.values)"}
    detail = {"version.$": naming.run_id, "approval": approval, "model_data.$": model_data or naming.stage_output("retrain", "train")}
    if retrain.gate:
        detail["metrics.$"] = "$.metrics.values"
    if naming.config.monitor and naming.config.monitor.baseline:
        # statistics.json and constraints.json of the training data (the baseline stage's contract)
        baseline = naming.stage_output("retrain", "baseline")
        item["baseline_uri"] = {"S.$": baseline}
        detail["baseline_uri.$"] = baseline
    return {
        "put_item": _put_once(naming, item),
        "event": ctx.put_event(naming, "retrain", "ModelRegistered", detail),
        "failure": _failure(naming, "retrain", "registration failed", "RegistrationFailed",
                            "The new model version could not be recorded in the registry.", "RunFailed"),
    }


# --------------------------------------------------------------------------- batch

def _batch(naming: Naming) -> dict:
    batch = naming.config.batch
    stage = batch.stage
    context = _base(naming, "batch", f"Batch scoring for {naming.config.name} ({naming.config.environment}), "
                    f"{batch.mode} mode: {batch.input} -> {batch.output}")
    context["map"] = _distributed_map(naming, batch) if batch.mode == "mini" else None
    scope = Naming(naming.config, "$.BatchInput.run_id", "$.BatchInput.pointers") if context["map"] else naming
    extra = {"MLOPS_OUTPUT_PREFIX": batch.output}
    approved = _approved_model(naming)
    if approved:
        extra["MLOPS_MODEL_URI"] = f"{scope.pointers}.approved_model_data.S"
    if context["map"]:
        extra["MLOPS_BATCH_URI"] = ctx.states_format(f"s3://{naming.platform.artifact_bucket}/{_manifest_key(naming)}",
                                               scope.run_id, "$$.Execution.Name")
    # The Map's own success event and failure chain run after the Map, in the parent execution,
    # where `$.BatchInput` does not exist ("Distributed Map state": BatchInput is each child
    # execution's input): only the Score batch task reads the child's scope.
    step = _container_step(naming, "batch", stage, batch.input, None, extra, task_scope=scope)
    step.update(name="Score", next="Done")
    if context["map"]:
        # Batches run max_concurrency at a time; the whole map may take that many rounds.
        step["map_timeout"] = step["timeout"] * -(-MAX_EXPECTED_BATCHES // batch.max_concurrency)
    task_keys = ["batch-batch"] if stage.compute == "fargate" else []
    pointers = _pointers(naming, "batch", [stage.runtime], task_keys,
                         then=approved["state"] if approved else "Publish run started")
    context.update({
        "timeout": step.get("map_timeout", step["timeout"]) * (1 + stage.retry.max_attempts) + BOOKKEEPING_SECONDS,
        "pointers": pointers,
        "approved": approved,
        "step": step,
    })
    return render("batch.asl.json.j2", context)


def _approved_model(naming: Naming) -> dict | None:
    """Which model a batch run scores with (README, "Which model batch uses"): a model that is
    retrained scores with the registry's approved pointer (`approved_model_data`: the version that
    last deployed successfully, or, without a deploy pipeline, the version last approved); a model
    without retrain has no model artifacts, its image is the model (None: nothing to check)."""
    if not naming.config.retrain:
        return None
    how = ("deploy an approved version (the pointer moves when a deployment succeeds)" if naming.config.deploy
           else "approve a version: mlopsc registry approve OUT VERSION --env " + naming.config.environment)
    failure = _failure(naming, "batch", "no approved model", "NoApprovedModel",
                       f"The registry names no approved model version in this environment yet: {how}.",
                       "RunFailed")
    return {"state": "Check approved model",
            "check": {"Variable": f"{naming.pointers}.approved_model_data.S", "IsPresent": True,
                      "Next": "Publish run started"},
            "failure": failure}


#: Sizing the batch pipeline's overall time-out: the number of batches one run is planned for.
MAX_EXPECTED_BATCHES = 1000


def _manifest_key(naming: Naming) -> str:
    return naming.run_prefix("batch") + "batches/{}.json"


def _distributed_map(naming: Naming, batch) -> dict:
    bucket, _, prefix = batch.input.removeprefix("s3://").partition("/")
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": naming.platform.kms_key} if naming.platform.kms_key else {}
    return {
        "comment": f"Each batch of up to {batch.batch_size} input objects is one task; "
                   f"{batch.max_concurrency} run at once.",
        "item_reader": {"Resource": f"arn:{naming.platform.partition}:states:::s3:listObjectsV2",
                        "Parameters": {"Bucket": bucket, "Prefix": prefix}},
        "item_batcher": {"MaxItemsPerBatch": batch.batch_size,
                         "BatchInput": {"run_id.$": naming.run_id, "pointers.$": naming.pointers}},
        "max_concurrency": batch.max_concurrency,
        "tolerated_failure_percent": batch.tolerated_failure_percent,
        "write_manifest": {"Bucket": naming.platform.artifact_bucket,
                           "Key.$": ctx.states_format(_manifest_key(naming), "$.BatchInput.run_id", "$$.Execution.Name"),
                           "Body.$": "$.Items", "ContentType": "application/json", **encryption},
        "result_writer": {"Resource": f"arn:{naming.platform.partition}:states:::s3:putObject",
                          "Parameters": {"Bucket": naming.platform.artifact_bucket,
                                         "Prefix.$": ctx.states_format(naming.run_prefix("batch") + "map-results", naming.run_id)}},
        "result_selector": {"manifest.$": "$.ResultWriterDetails"},
    }


# --------------------------------------------------------------------------- drift

def _drift(naming: Naming) -> dict:
    """The model's own drift job (any target; ModelConfig.uses_model_monitor), on a schedule: find
    the version that serves, then run the job against what was captured and that version's
    baseline. Nothing deployed: the run ends before it is announced. The job reads the hour folders
    under MLOPS_CAPTURE_URI (a SageMaker endpoint's own capture files too: Naming.captured_requests_uri),
    the last MLOPS_DRIFT_WINDOW_HOURS of them, and publishes the drift distances to CloudWatch
    (`MLOPS_METRICS_NAMESPACE`), where the monitor's alarms watch them."""
    config = naming.config
    job = config.drift_job
    captured = naming.captured_requests_uri
    extra = {"MLOPS_CAPTURE_URI": captured, "MLOPS_BASELINE_URI": VERSION_BASELINE,
             "MLOPS_METRICS_NAMESPACE": naming.metrics_namespace, "MLOPS_MODEL_VERSION": "$.live.version",
             "MLOPS_DRIFT_WINDOW_HOURS": str(DRIFT_WINDOW_HOURS[config.monitor.drift.schedule])}
    step = _container_step(naming, "drift", job, captured, None, extra)
    step["next"] = "Publish drift checked"
    task_keys = [f"drift-{job.name}"] if job.compute == "fargate" else []
    return render("drift.asl.json.j2", {
        **_base(naming, "drift", f"Drift of {config.name} ({config.environment}), {config.monitor.drift.schedule}: "
                f"the captured requests against the live version's baseline"),
        "timeout": _stage_timeout(job) * (1 + job.retry.max_attempts) + BOOKKEEPING_SECONDS,
        "pointers": _pointers(naming, "drift", [job.runtime], task_keys, LIVE_VERSION),
        "live": _live_version(naming, "Read live version", "Nothing deployed"),
        "read_version": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                         "Key": {"pk": {"S": naming.model_key},
                                 "sk": {"S.$": ctx.states_format(naming.version_key_prefix() + "{}", "$.live.version")}}},
        "has_baseline": {"And": [{"Variable": "$.model_version.Item", "IsPresent": True},
                                 {"Variable": VERSION_BASELINE, "IsPresent": True}], "Next": RUN_STARTED},
        "baseline_missing": _failure(naming, "drift", "baseline missing", "BaselineMissing",
                                     "The live version has no baseline_uri in the registry (it was registered before "
                                     "monitor.baseline was set): deploy a version retrained with the baseline stage.",
                                     "RunFailed"),
        "step": step,
        "checked_event": ctx.put_event(naming, "drift", "DriftChecked",
                                       {"version.$": "$.live.version", "baseline_uri.$": VERSION_BASELINE}),
    })


# --------------------------------------------------------------------------- deploy

def _poll(naming: Naming, prefix: str, poll: Poll, describe_resource: str, describe_parameters: dict,
          result_selector: dict | None, outcomes: list, timeout_failure: dict, error_failure: dict) -> dict:
    """`result_selector` None keeps the whole Describe response under $.status: see the poll_loop
    macro (templates/asl/_states.j2) for why an optional member is never selected."""
    waits, wait = [], float(poll.interval_seconds)
    for _ in range(poll.max_attempts):
        waits.append(max(1, round(wait)))
        wait *= poll.backoff_rate
    return {
        "start_state": f"Start polling {prefix}", "schedule_state": f"Schedule next {prefix} poll",
        "wait_state": f"Wait for {prefix}", "describe_state": f"Describe {prefix}",
        "ready_state": f"Is {prefix} ready?", "attempts_state": f"Any {prefix} polls left?",
        "timeout_state": timeout_failure["notify_state"], "failure_state": error_failure["notify_state"],
        "waits": waits, "describe_resource": describe_resource, "describe_parameters": describe_parameters,
        "result_path": "$.status", "result_selector": result_selector, "outcomes": outcomes,
    }


def _deploy(naming: Naming) -> dict:
    deploy = naming.config.deploy
    deployment_key = naming.key(naming.deployment_key)

    def outcome(label, error, cause, event, status):
        record = {"TableName": naming.platform.registry_table, "Key": deployment_key,
                  "UpdateExpression": "SET #status = :status, #finished = :finished",
                  "ExpressionAttributeNames": {"#status": "status", "#finished": "finished_at"},
                  "ExpressionAttributeValues": {":status": {"S": status}, ":finished": {"S.$": "$$.State.EnteredTime"}}}
        return _failure(naming, "deploy", label, error, cause, event, record=record)

    failures = {
        "no_version": _failure(naming, "deploy", "no approved version", "NoApprovedVersion",
                               "No version was given and the registry has no approved version.", "DeploymentFailed"),
        "not_deployable": _failure(naming, "deploy", "version not deployable", "VersionNotDeployable",
                                   "The requested version is not in the registry, not approved, or has no image "
                                   "of the serving runtime.", "DeploymentFailed"),
        "in_progress": _failure(naming, "deploy", "deployment in progress", "DeploymentInProgress",
                                "Another deployment of this model is running; see the notification for its execution.",
                                "DeploymentFailed",
                                extra_detail={"running_execution.$": "$.running.Item.execution.S"}),
        "lock": _failure(naming, "deploy", "lock failed", "LockFailed", "The deployment lock could not be taken.",
                         "DeploymentFailed"),
        "failed": outcome("deployment failed", "DeploymentFailed", "The new version did not become healthy.",
                          "DeploymentFailed", "failed"),
        "timed_out": outcome("deployment timed out", "DeploymentTimedOut",
                             f"The update was not finished after {deploy.poll.max_attempts} polls.", "DeploymentTimedOut",
                             "timed_out"),
        # The new version serves: a last attempt records it so and frees the lock; when that write
        # fails too, the next deployment takes the lock over (this execution has ended).
        "recording": outcome("recording failed", "RecordingFailed",
                             "The new version serves but its deployment could not be recorded at first; "
                             "see the registry for whether the last attempt did.", "DeploymentFailed", "deployed"),
        # Publishing DeploymentStarted failed after the lock was taken: free it before failing.
        "started_event": outcome("deployment event failed", "EventsFailed",
                                 "The DeploymentStarted event could not be published to EventBridge; nothing was deployed.",
                                 None, "failed"),
        "rolled_back": outcome("deployment rolled back", "DeploymentRolledBack",
                               "Traffic went back to the previous version: an alarm fired, or a step failed while traffic moved.",
                               "DeploymentRolledBack", "rolled_back"),
    }
    # The image the version was trained and registered with, not today's: a rollback or promotion
    # serves the old model with the serving code it was evaluated with.
    serve_image = f"$.model_version.Item.images.M['{deploy.runtime}'].S"
    model_data = "$.model_version.Item.model_data.S"
    environment = {**deploy.environment, "MLOPS_MODEL": naming.config.name,
                   "MLOPS_ENVIRONMENT": naming.config.environment}
    target = {"sagemaker-endpoint": _sagemaker_target, "lambda": _lambda_target, "ecs-service": _ecs_target}
    context = {
        **_base(naming, "deploy", f"Deploy {naming.config.name} ({naming.config.environment}) to "
                f"{deploy.target} with {deploy.traffic.mode} traffic"),
        "pointers": _pointers(naming, "deploy", [deploy.runtime], []),
        "failures": failures,
        "lock": _lock(naming, deployment_key,
                      "attribute_not_exists(#status) OR #status <> :deploying OR #execution = :execution", {}),
        "read_lock": {"TableName": naming.platform.registry_table, "Key": deployment_key, "ConsistentRead": True},
        "lock_takeover": _lock_takeover(naming, deployment_key),
        "read_version": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                         "Key": {"pk": {"S": naming.model_key},
                                 "sk": {"S.$": ctx.states_format(naming.version_key_prefix() + "{}", "$.request.version")}}},
        "record_deployed": {"TableName": naming.platform.registry_table, "Key": deployment_key,
                            "UpdateExpression": "SET #status = :status, #finished = :finished",
                            "ExpressionAttributeNames": {"#status": "status", "#finished": "finished_at"},
                            "ExpressionAttributeValues": {":status": {"S": "deployed"},
                                                          ":finished": {"S.$": "$$.State.EnteredTime"}}},
        "started_event": ctx.put_event(naming, "deploy", "DeploymentStarted", {"version.$": "$.request.version",
                                                                               "target": deploy.target}),
        "succeeded_event": ctx.put_event(naming, "deploy", "DeploymentSucceeded", {"version.$": "$.request.version",
                                                                                   "target": deploy.target}),
        "target": deploy.target,
        "serve_image": serve_image,
    }
    context.update(target[deploy.target](naming, deploy, failures, serve_image, model_data, environment))
    if not context.pop("can_roll_back"):
        del failures["rolled_back"]
    context["monitoring"] = _monitoring_schedule(naming, deploy) if naming.config.uses_model_monitor else None
    if context["monitoring"]:
        failures.update(context["monitoring"].pop("failures"))
    context["timeout"] = _deploy_timeout(deploy, context)
    return render("deploy.asl.json.j2", context)


#: The lock item's attributes a deployment writes when it takes the lock (and a takeover too).
LOCK_UPDATE = "SET #status = :deploying, #execution = :execution, #version = :version, #started = :started"


def _lock(naming: Naming, deployment_key: dict, condition: str, values: dict) -> dict:
    """The lock write. Its condition also passes when the lock names this execution already, so
    a retry of a write that succeeded but lost its answer (a 500, a timeout) takes its own lock
    again instead of failing on it (the Retry is SERVICE_RETRY: every error but the
    ConditionalCheckFailed its Catch takes, see `retriers`)."""
    return {"TableName": naming.platform.registry_table, "Key": deployment_key, "UpdateExpression": LOCK_UPDATE,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status", "#execution": "execution", "#version": "version",
                                         "#started": "started_at"},
            "ExpressionAttributeValues": {":deploying": {"S": "deploying"}, ":execution": {"S.$": "$$.Execution.Id"},
                                          ":version": {"S.$": "$.request.version"},
                                          ":started": {"S.$": "$$.State.EnteredTime"}, **values}}


def _lock_takeover(naming: Naming, deployment_key: dict) -> dict:
    """A lock still `deploying` whose execution is no longer RUNNING (it failed before recording
    its outcome, hit States.Runtime, timed out or was stopped: Step Functions API reference,
    DescribeExecution: status RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE)
    is taken over, on the condition that it still names that execution."""
    return {
        "describe": {"ExecutionArn.$": "$.running.Item.execution.S"},
        "take": _lock(naming, deployment_key, "#status = :deploying AND (#execution = :ended OR #execution = :execution)",
                      {":ended": {"S.$": "$.running.Item.execution.S"}}),
    }


def _deploy_timeout(deploy, context: dict) -> int:
    polls = sum(sum(poll["waits"]) for poll in context["polls"].values())
    traffic = deploy.traffic
    steps = len(context.get("weights") or ()) * (traffic.interval_seconds or 0) + traffic.bake_seconds
    return polls + steps + BOOKKEEPING_SECONDS


#: Room for SageMaker to provision the new fleet, on top of the traffic steps' waits.
FLEET_PROVISIONING_SECONDS = 3600


def _blue_green_timeout(traffic, termination: int) -> int:
    """BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds, set rather than left to a default
    AWS does not document: it "should be larger than the total waiting time specified in
    TerminationWaitInSeconds and WaitIntervalInSeconds", within 600 to 28800 (SageMaker API
    reference, BlueGreenUpdatePolicy). A linear shift waits once per step, a canary once."""
    steps = {"all-at-once": 0, "canary": 1, "linear": -(-100 // (traffic.percent or 100))}[traffic.mode]
    waits = steps * (traffic.interval_seconds or 0) + termination
    return max(600, min(28800, waits + FLEET_PROVISIONING_SECONDS))


def _sagemaker_target(naming: Naming, deploy, failures, serve_image, model_data, environment) -> dict:
    endpoint = deploy.endpoint
    platform = naming.platform
    model_prefix = names.job_prefix(naming.config.name, naming.config.environment, "sagemaker_model")
    config_prefix = names.job_prefix(endpoint.name, "config", "endpoint_config")
    container = {"Image.$": serve_image, "ModelDataUrl.$": model_data, "Environment": dict(sorted(environment.items()))}
    create_model = {"ModelName.$": "$.deployment.model", "PrimaryContainer": container,
                    "ExecutionRoleArn": platform.task_role, "Tags": naming.tags("deploy")}
    if platform.subnets:
        create_model["VpcConfig"] = ctx._vpc(platform)
    endpoint_config = {"EndpointConfigName.$": "$.deployment.endpoint_config",
                       "ProductionVariants": [{"VariantName": ctx.SAGEMAKER_VARIANT, "ModelName.$": "$.deployment.model",
                                               "InstanceType": endpoint.instance_type,
                                               "InitialInstanceCount": endpoint.instance_count}],
                       "Tags": naming.tags("deploy")}
    if platform.kms_key:
        endpoint_config["KmsKeyId"] = platform.kms_key
    if naming.config.monitor:
        endpoint_config["DataCaptureConfig"] = _data_capture(naming)
    traffic = deploy.traffic
    routing = {"Type": {"all-at-once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}[traffic.mode],
               "WaitIntervalInSeconds": traffic.interval_seconds or 0}
    if traffic.mode == "canary":
        routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": traffic.percent}
    elif traffic.mode == "linear":
        routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": traffic.percent}
    termination = min(traffic.bake_seconds, 3600)
    deployment = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing,
                                            "TerminationWaitInSeconds": termination,
                                            "MaximumExecutionTimeoutInSeconds": _blue_green_timeout(traffic, termination)}}
    rollback_names, puts = _rollback_alarms(naming)
    if rollback_names:
        deployment["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in rollback_names]}
    update = {"EndpointName": endpoint.name, "EndpointConfigName.$": "$.deployment.endpoint_config",
              "DeploymentConfig": deployment, **_retained_variant_properties(endpoint)}
    failures["endpoint_failed"] = _endpoint_failed(naming, failures, endpoint.name)
    # Where each end of the update goes: straight to its outcome, or, with autoscaling, through
    # the states that register the scaling again first (the outcome is then routed on).
    ends = {"deployed": "Record deployed", "rolled_back": failures["rolled_back"]["notify_state"],
            "failed": failures["failed"]["notify_state"], "timed_out": failures["timed_out"]["notify_state"]}
    outcome_states = ({outcome: f"Restore scaling: {outcome.replace('_', ' ')}" for outcome in ends}
                      if endpoint.autoscaling_max else ends)
    poll = _poll(naming, "endpoint", deploy.poll, f"arn:{platform.partition}:states:::aws-sdk:sagemaker:describeEndpoint",
                 {"EndpointName": endpoint.name}, None,
                 [{"And": [{"Variable": "$.status.EndpointStatus", "StringEquals": "InService"},
                           {"Variable": "$.status.EndpointConfigName", "IsPresent": True},
                           {"Variable": "$.status.EndpointConfigName", "StringEqualsPath": "$.deployment.endpoint_config"}],
                   "Next": outcome_states["deployed"]},
                  {"And": [{"Variable": "$.status.EndpointStatus", "StringEquals": "InService"},
                           {"Variable": "$.status.EndpointConfigName", "IsPresent": True}],
                   "Next": outcome_states["rolled_back"]},
                  {"Or": [{"Variable": "$.status.EndpointStatus", "StringEquals": "InService"},
                          {"Variable": "$.status.EndpointStatus", "StringEquals": "Failed"},
                          {"Variable": "$.status.EndpointStatus", "StringEquals": "UpdateRollbackFailed"}],
                   "Next": outcome_states["failed"]}],
                 {"notify_state": outcome_states["timed_out"]}, {"notify_state": outcome_states["failed"]})
    resource_id = f"endpoint/{endpoint.name}/variant/{ctx.SAGEMAKER_VARIANT}"
    scalable = {"ServiceNamespace": "sagemaker", "ResourceId": resource_id,
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
    autoscaling = None
    if endpoint.autoscaling_max:
        autoscaling = {
            "describe_config": {"EndpointConfigName.$": "$.endpoint.EndpointConfigName"},
            "instance_type": endpoint.instance_type,
            "outcomes": list(ends.items()),
            "routes": [{"Variable": "$.outcome.next", "StringEquals": then, "Next": then} for then in ends.values()],
            "deregister": scalable,
            "register": {**scalable, "MinCapacity": endpoint.autoscaling_min, "MaxCapacity": endpoint.autoscaling_max},
            "policy": {**scalable, "PolicyName": f"{endpoint.name}-invocations", "PolicyType": "TargetTrackingScaling",
                       "TargetTrackingScalingPolicyConfiguration": {
                           "TargetValue": float(endpoint.target_invocations),
                           "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                           "ScaleInCooldown": 300, "ScaleOutCooldown": 60}},
        }
    return {
        "first_target_state": "Make deployment token",
        "names": {"token.$": ctx.TOKEN},
        "resource_names": {"token.$": "$.deployment.token",
                           "model.$": ctx.states_format(model_prefix + "-{}", "$.deployment.token"),
                           "endpoint_config.$": ctx.states_format(config_prefix + "-{}", "$.deployment.token")},
        "create_model": create_model, "endpoint_config": endpoint_config,
        "watch_states": _watch_states(puts, "Find endpoint"),
        "describe_endpoint": {"EndpointName": endpoint.name},
        "endpoint_not_found": ENDPOINT_NOT_FOUND,
        "outcome_states": outcome_states,
        "create_endpoint": {"EndpointName": endpoint.name, "EndpointConfigName.$": "$.deployment.endpoint_config",
                            "Tags": naming.tags("deploy")},
        "update_endpoint": update, "autoscaling": autoscaling,
        "polls": {"endpoint": poll},
        "can_roll_back": True,
    }


#: DescribeEndpoint of an endpoint that does not exist. SageMaker's API model declares no error for
#: DescribeEndpoint (botocore sagemaker/2017-07-24/service-2.json: DescribeEndpoint has "errors": []):
#: a missing endpoint is SageMaker's common ValidationException (SageMaker API reference, "Common
#: Errors": ValidationException, HTTP 400) with the message `Could not find endpoint "<arn>".`.
#: Step Functions names an SDK error `SageMaker.<name>` and puts the service's message in the Cause
#: (Step Functions developer guide, "AWS SDK service integrations": ServiceName.ErrorName), and the
#: name of an error the API model does not declare is not documented: so a SageMaker error whose
#: message says the endpoint cannot be found means "create it"; throttling (retried first),
#: AccessDenied and anything else fail the deployment instead of trying to create an endpoint
#: that exists.
ENDPOINT_NOT_FOUND = {"And": [{"Variable": "$.error.Error", "StringMatches": "SageMaker.*"},
                              {"Variable": "$.error.Cause", "StringMatches": "*Could not find endpoint*"}],
                      "Next": "Create endpoint"}


def _retained_variant_properties(endpoint) -> dict:
    """With autoscaling, an update keeps the variant's current (scaled) instance count instead of
    going back to InitialInstanceCount; the new data capture configuration is taken from the new
    endpoint config all the same (SageMaker API reference, UpdateEndpoint:
    RetainAllVariantProperties, ExcludeRetainedVariantProperties; developer guide, "Update endpoints
    that use auto scaling"). Without autoscaling, the configured instance_count is the truth."""
    if not endpoint.autoscaling_max:
        return {"RetainAllVariantProperties": False}
    return {"RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DataCaptureConfig"}]}


def _endpoint_failed(naming: Naming, failures: dict, endpoint: str) -> dict:
    """An endpoint in `Failed` status: "DeleteEndpoint is the only operation that can be performed
    on a failed endpoint" (SageMaker API reference, DescribeEndpoint: EndpointStatus). It serves
    nothing, but deleting is left to the operator, who should read its FailureReason first."""
    failed = failures["failed"]
    return _failure(naming, "deploy", "endpoint failed", "EndpointFailed",
                    f"The endpoint {endpoint} is in Failed status, which only DeleteEndpoint accepts: read its "
                    f"FailureReason (aws sagemaker describe-endpoint --endpoint-name {endpoint}), delete it, "
                    "and deploy again.", "DeploymentFailed", record=failed["record"])


#: Content types the endpoint's data capture records as text (CSV or JSON) instead of base64:
#: "If no headers are specified SageMaker AI will by default base64 encode when capturing the
#: data" (API reference, CaptureContentTypeHeader), which Model Monitor cannot read as features.
#: The SageMaker Python SDK's DataCaptureConfig defaults, as it sends them.
CAPTURE_CONTENT_TYPES = {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}


def _data_capture(naming: Naming) -> dict:
    """The endpoint writes monitor.capture.sampling_percent of its requests and responses to S3,
    CSV and JSON bodies as text."""
    capture = {"EnableCapture": True, "InitialSamplingPercentage": naming.config.monitor.sampling_percent,
               "DestinationS3Uri": naming.capture_uri,
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
               "CaptureContentTypeHeader": {key: list(types) for key, types in CAPTURE_CONTENT_TYPES.items()}}
    if naming.platform.kms_key:
        capture["KmsKeyId"] = naming.platform.kms_key
    return capture


#: Model Monitor's schedule: at the top of every hour, or at midnight UTC (SageMaker's cron has six fields).
MONITORING_SCHEDULES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}
#: The captured data one drift run analyses: the hour, or the UTC day, before the run's scheduled
#: time. The model's own drift job gets it as MLOPS_DRIFT_WINDOW_HOURS; Model Monitor's schedule as
#: ScheduleConfig's DataAnalysisStartTime/DataAnalysisEndTime, offsets from "the times that you
#: schedule your monitoring jobs to run" with ScheduleExpression, at most 24 hours apart, and
#: required only with `NOW` (SageMaker API reference, ScheduleConfig;
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html). The developer
#: guide's page on the schedule (model-monitor-schedule-expression) does not say what a scheduled run
#: analyses without them; with them, a daily run analyses the whole day.
DRIFT_WINDOW_HOURS = {"hourly": 1, "daily": 24}
#: One small instance analyses a monitoring period's captured requests; a run may take an hour.
MONITORING_CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
MONITORING_MAX_RUNTIME_SECONDS = 3600
#: Where the analyzer finds the endpoint's captured data in its container.
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"


def _monitoring_schedule(naming: Naming, deploy) -> dict:
    """SageMaker Model Monitor's data-quality schedule of the endpoint, pointed at the deployed
    version's baseline. It is created, or updated when it exists, after the deployment succeeded
    and was published: a failure here leaves the deployment recorded as deployed and fails the
    execution with MonitoringNotUpdated (notified, no event: the deployment's has gone out)."""
    drift = naming.config.monitor.drift
    schedule = {"ScheduleExpression": MONITORING_SCHEDULES[drift.schedule],
                "DataAnalysisStartTime": f"-PT{DRIFT_WINDOW_HOURS[drift.schedule]}H", "DataAnalysisEndTime": "-PT0H"}
    update = {"MonitoringScheduleName": naming.monitoring_schedule,
              "MonitoringScheduleConfig": {"ScheduleConfig": schedule,
                                           "MonitoringJobDefinition": _monitoring_job(naming, deploy.endpoint.name),
                                           "MonitoringType": "DataQuality"}}
    return {
        "has_baseline": {"Variable": VERSION_BASELINE, "IsPresent": True, "Next": "Create monitoring schedule"},
        "create_schedule": {**update, "Tags": naming.tags("deploy")},
        "update_schedule": update,
        "failures": {
            "monitoring": _failure(naming, "deploy", "monitoring not updated", "MonitoringNotUpdated",
                                   "The deployment succeeded, but the drift monitoring schedule could not be created or "
                                   "updated: the new version's drift is not measured.", None),
            "monitoring_baseline": _failure(naming, "deploy", "monitoring baseline missing", "MonitoringNotUpdated",
                                            "The deployment succeeded, but the deployed version has no baseline (it was "
                                            "registered before monitor.baseline was set): the drift monitoring schedule "
                                            "was left as it was.", None),
        },
    }


def _monitoring_job(naming: Naming, endpoint: str) -> dict:
    """Each scheduled run: Model Monitor's analyzer compares the endpoint's captured requests with
    the version's baseline, in the VPC and with the KMS key as the jobs, as the task role, and
    publishes the drift distances to CloudWatch."""
    platform = naming.platform
    cluster = dict(MONITORING_CLUSTER)
    outputs = {"MonitoringOutputs": [{"S3Output": {"S3Uri": naming.monitor_reports_uri, "LocalPath": ctx.PROCESSING_OUTPUT,
                                                   "S3UploadMode": "EndOfJob"}}]}
    if platform.kms_key:
        cluster["VolumeKmsKeyId"] = platform.kms_key
        outputs["KmsKeyId"] = platform.kms_key
    job = {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri.$": ctx.states_format("{}constraints.json", VERSION_BASELINE)},
                           "StatisticsResource": {"S3Uri.$": ctx.states_format("{}statistics.json", VERSION_BASELINE)}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint, "LocalPath": ENDPOINT_INPUT_PATH,
                                                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}],
        "MonitoringOutputConfig": outputs,
        "MonitoringResources": {"ClusterConfig": cluster},
        "MonitoringAppSpecification": {"ImageUri": naming.monitor_image()},
        "StoppingCondition": {"MaxRuntimeInSeconds": MONITORING_MAX_RUNTIME_SECONDS},
        "Environment": {"publish_cloudwatch_metrics": "Enabled"},
        "RoleArn": platform.task_role,
    }
    if platform.subnets:
        job["NetworkConfig"] = {"EnableInterContainerTrafficEncryption": True, "VpcConfig": ctx._vpc(platform)}
    return job


def _serving_monitor_environment(naming: Naming, metrics: bool) -> dict:
    """What serving code of our own needs for the monitor: where and how much of its traffic to
    capture, and (ecs-service) the namespace of the request metrics it publishes."""
    monitor = naming.config.monitor
    if monitor is None:
        return {}
    environment = {"MLOPS_CAPTURE_URI": naming.capture_uri, "MLOPS_CAPTURE_PERCENT": str(monitor.sampling_percent)}
    if metrics:
        environment["MLOPS_METRICS_NAMESPACE"] = naming.metrics_namespace
    return environment


def _traffic_weights(traffic) -> list:
    """Shares of traffic on the new version before it takes all of it: [] all at once,
    [p] for a canary, [p, 2p, ...] below 100 for linear."""
    if traffic.mode == "canary":
        return [traffic.percent / 100]
    if traffic.mode == "linear":
        return [step / 100 for step in range(traffic.percent, 100, traffic.percent)]
    return []


def _rollback_alarms(naming: Naming) -> tuple[list, list]:
    """(the names of the alarms that roll a deployment back, the PutMetricAlarm arguments of those
    the pipeline puts for the version it deploys): a `monitor:<alarm>` is replaced by its
    `rollback-<alarm>` twin on the new version's metrics (render/monitor.py `rollback_alarms`)."""
    twins = alarms.rollback_alarms(naming.config)
    names_ = [twins[alarm]["AlarmName"] if alarm in twins else alarm for alarm in naming.config.deploy.traffic.alarms]
    return names_, [twins[alarm] for alarm in naming.config.deploy.traffic.alarms if alarm in twins]


def _watch_states(puts: list, then: str) -> list:
    """One PutMetricAlarm state per rollback alarm of the new version, chained, then `then`."""
    states = [{"name": f"Watch new version: {put['AlarmName']}", "parameters": put} for put in puts]
    for state, following in zip(states, states[1:] + [{"name": then}]):
        state["next"] = following["name"]
    return states


def _alarm_check(names_: list) -> dict | None:
    if not names_:
        return None
    return {"AlarmNames": list(names_), "StateValue": "ALARM"}


def _lambda_target(naming: Naming, deploy, failures, serve_image, model_data, environment) -> dict:
    function = deploy.function
    platform = naming.platform
    environment = {**environment, **_serving_monitor_environment(naming, metrics=False)}
    variables = {**dict(sorted(environment.items())), "MLOPS_MODEL_URI.$": model_data,
                 "MLOPS_MODEL_VERSION.$": "$.request.version"}
    describe = f"arn:{platform.partition}:states:::aws-sdk:lambda:getFunctionConfiguration"

    def update_poll(prefix):
        return _poll(naming, prefix, deploy.poll, describe, {"FunctionName": function.name},
                     None,
                     [{"And": [{"Variable": "$.status.LastUpdateStatus", "IsPresent": True},
                               {"Variable": "$.status.LastUpdateStatus", "StringEquals": "Successful"}], "Next": None},
                      {"And": [{"Variable": "$.status.LastUpdateStatus", "IsPresent": True},
                               {"Variable": "$.status.LastUpdateStatus", "StringEquals": "Failed"}],
                       "Next": failures["failed"]["notify_state"]}],
                     failures["timed_out"], failures["failed"])

    config_poll, code_poll = update_poll("configuration update"), update_poll("code update")
    config_poll["outcomes"][0]["Next"] = "Update function code"
    code_poll["outcomes"][0]["Next"] = "Publish version"
    weights = _traffic_weights(deploy.traffic)
    weight_map = ("States.StringToJson(States.Format('\\{\"{}\": {}\\}', $.published.Version, "
                  "States.ArrayGetItem($.shift.weights, $.shift.step)))")
    alias = {"FunctionName": function.name, "Name": function.alias}
    rollback_names, puts = _rollback_alarms(naming)
    # Alarms are watched between traffic steps and during the bake time; with neither,
    # there is no moment to roll back in.
    can_roll_back = bool(rollback_names and (weights or deploy.traffic.bake_seconds))
    return {
        "first_target_state": "Read function configuration",
        "read_configuration": {"FunctionName": function.name},
        # UpdateFunctionConfiguration replaces the whole Environment (Lambda API reference,
        # UpdateFunctionConfiguration: Environment): ours are merged over the function's current
        # variables, so those someone else set (a secret's name, a feature flag) stay. They are
        # kept as `Variables`, where compiler/redact.py hides them from diff and the apply plan.
        "own_variables": variables,
        "merged_environment": {"Variables.$": "States.JsonMerge($.function.configuration.Environment.Variables, "
                                              "$.environment.Variables, false)"},
        "update_configuration": {"FunctionName": function.name, "MemorySize": function.memory,
                                 "Timeout": function.timeout_seconds, "Environment": {"Variables.$": "$.environment.Variables"}},
        "update_code": {"FunctionName": function.name, "ImageUri.$": serve_image},
        "publish_version": {"FunctionName": function.name, "Description.$": ctx.states_format("mlops version {}", "$.request.version")},
        "get_alias": alias,
        "create_alias": {**alias, "FunctionVersion.$": "$.published.Version"},
        "weights": weights,
        "shift": {**alias, "FunctionVersion.$": "$.alias.FunctionVersion",
                  "RoutingConfig": {"AdditionalVersionWeights.$": weight_map}},
        "promote": {**alias, "FunctionVersion.$": "$.published.Version", "RoutingConfig": {"AdditionalVersionWeights": {}}},
        "roll_back": {**alias, "FunctionVersion.$": "$.alias.FunctionVersion", "RoutingConfig": {"AdditionalVersionWeights": {}}},
        "alarms": _alarm_check(rollback_names),
        "watch_states": _watch_states(puts if can_roll_back else [], "Start traffic shift" if weights else "Promote version"),
        "interval": deploy.traffic.interval_seconds or 0,
        "bake": deploy.traffic.bake_seconds,
        "polls": {"configuration update": config_poll, "code update": code_poll},
        "can_roll_back": can_roll_back,
    }


def _ecs_target(naming: Naming, deploy, failures, serve_image, model_data, environment) -> dict:
    service = deploy.service
    platform = naming.platform
    environment = {**environment, **_serving_monitor_environment(naming, metrics=True)}
    variables = [{"Name": k, "Value": v} for k, v in sorted(environment.items())] + \
                [{"Name": "MLOPS_MODEL_URI", "Value.$": model_data},
                 {"Name": "MLOPS_MODEL_VERSION", "Value.$": "$.request.version"}]
    family = naming.task_family("deploy", "serve")
    task_definition_arn = "$.task_definition.TaskDefinition.TaskDefinitionArn"
    container = {"Name": ctx.CONTAINER, "Image.$": serve_image, "Essential": True,
                 "PortMappings": [{"ContainerPort": service.port, "Protocol": "tcp"}], "Environment": variables,
                 "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                     "awslogs-group": naming.task_log_group,
                     "awslogs-region": platform.region, "awslogs-stream-prefix": "serve"}}}
    register = {"Family": family, "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
                "Cpu": str(service.cpu), "Memory": str(service.memory), "TaskRoleArn": platform.task_role,
                "ExecutionRoleArn": platform.task_role, "ContainerDefinitions": [container],
                "Tags": [{"Key": t["Key"], "Value": t["Value"]} for t in naming.tags("deploy") if "Value" in t]}
    deployment = {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                  "MaximumPercent": 200, "MinimumHealthyPercent": 100}
    if deploy.traffic.alarms:
        deployment["Alarms"] = {"AlarmNames": list(deploy.traffic.alarms), "Enable": True, "Rollback": True}
    network = {"AwsvpcConfiguration": {"Subnets": list(platform.subnets), "SecurityGroups": list(platform.security_groups),
                                       "AssignPublicIp": "DISABLED"}}
    # The newest deployment of the service (ECS lists the PRIMARY one first); every member optional.
    rollout, rolled_out = "$.status.Services[0].Deployments[0].RolloutState", "$.status.Services[0].Deployments[0].TaskDefinition"
    rollout_known = {"Variable": rollout, "IsPresent": True}
    poll = _poll(naming, "service", deploy.poll, f"arn:{platform.partition}:states:::aws-sdk:ecs:describeServices",
                 {"Cluster": platform.ecs_cluster, "Services": [service.name]}, None,
                 [{"And": [rollout_known, {"Variable": rollout, "StringEquals": "COMPLETED"},
                           {"Variable": rolled_out, "IsPresent": True},
                           {"Variable": rolled_out, "StringEqualsPath": task_definition_arn}],
                   "Next": "Record deployed"},
                  {"And": [rollout_known, {"Variable": rollout, "StringEquals": "COMPLETED"}],
                   "Next": failures["rolled_back"]["notify_state"]},
                  {"And": [rollout_known, {"Variable": rollout, "StringEquals": "FAILED"}],
                   "Next": failures["failed"]["notify_state"]}],
                 failures["timed_out"], failures["failed"])
    return {
        "first_target_state": "Register task definition",
        "task_definition_arn": task_definition_arn,
        "register_task_definition": register,
        "describe_service": {"Cluster": platform.ecs_cluster, "Services": [service.name]},
        "create_service": {"Cluster": platform.ecs_cluster, "ServiceName": service.name,
                           "TaskDefinition.$": task_definition_arn, "DesiredCount": service.desired_count,
                           "LaunchType": "FARGATE", "NetworkConfiguration": network,
                           "DeploymentConfiguration": deployment, "PropagateTags": "SERVICE",
                           "Tags": register["Tags"]},
        "update_service": {"Cluster": platform.ecs_cluster, "Service": service.name,
                           "TaskDefinition.$": task_definition_arn, "DesiredCount": service.desired_count,
                           "DeploymentConfiguration": deployment, "NetworkConfiguration": network},
        "polls": {"service": poll},
        "can_roll_back": True,
    }
