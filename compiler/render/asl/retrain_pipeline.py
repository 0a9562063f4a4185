"""retrain.asl.json: validate -> transform -> tune -> train -> baseline -> evaluate -> gate -> register,
each stage optional but train, or the stage graph the config writes (stages of one level in a
Parallel); a drift-started run first claims its cool-down window."""

from __future__ import annotations

import json

from compiler import names
from compiler.model import RetrainPipeline, Tune
from compiler.render.asl.jinja_templates import render
from compiler.render.asl.shared_states import (
    BOOKKEEPING_SECONDS, DRIFT_GATE, LIVE_VERSION, NO_LIVE_VERSION, RUN_STARTED, base_context, chain,
    container_step, failure_chain, live_version, pointers_check, put_event, put_once, select_present,
    stage_result, stage_step, stage_timeout)
from compiler.render.distribution import training_hyperparameters
from compiler.render.naming import Naming, states_format
from compiler.render.script_mode import is_dynamic, script_mode_hyperparameters
from compiler.render.stage_parameters import sagemaker_training, sagemaker_tuning, stage_environment
from compiler.render.stages import BASELINE_AFTER, retrain_levels, retrain_stages
from compiler.stage_graph import variable


def definition(naming: Naming) -> dict:
    retrain = naming.config.retrain
    levels = _retrain_levels(naming, retrain)
    steps = [level[0] if len(level) == 1 else _parallel(naming, level) for level in levels]
    stages = retrain_stages(naming.config)
    runtimes = sorted({s.runtime for s in stages} | ({retrain.tune.stage.runtime} if retrain.tune else set()))
    if not all(runtime.built for runtime in naming.config.runtimes):
        # The version records every runtime's image by name (_version_images): the built ones are
        # read from the pointers, so they are checked there too.
        runtimes = sorted(runtime.name for runtime in naming.config.runtimes)
    task_keys = [f"retrain-{s.name}" for s in stages if s.compute == "fargate"]
    gate = _gate(naming, retrain) if retrain.gate else None
    chain(steps, "Read metrics" if gate else LINEAGE_ENTRY)
    # A level lasts as long as its slowest stage (its Parallel waits for every branch).
    timeout = sum(max(step["budget"] for step in level) for level in levels)
    drift_gate = _drift_gate(naming)
    pointers = pointers_check(naming, "retrain", runtimes, task_keys, DRIFT_GATE if drift_gate else RUN_STARTED)
    for step in steps:
        if "warm_start" in step:  # at the top level: a failed read is the run's registry read failure
            step["warm_start"]["read_failed"] = pointers["read_failure"]["notify_state"]
    warm_start_at_top = any("warm_start" in step for step in steps)
    described = " -> ".join(level[0]["name"].lower() if len(level) == 1
                            else "(" + " | ".join(step["stage"] for step in level) + ")" for level in levels)
    return render("retrain.asl.json.j2", {
        **base_context(naming, "retrain", f"Retrain {naming.config.name} ({naming.config.environment}): "
                       + described + (" -> gate" if gate else "") + " -> register"
                       + (f"; a drift alarm retrains at most once per UTC {drift_gate['period']}" if drift_gate else "")),
        "timeout": timeout + BOOKKEEPING_SECONDS,
        "pointers": pointers,
        "drift_gate": drift_gate,
        "static_hyperparameters": _static_hyperparameters(naming, retrain) if retrain.tune else None,
        # Parallel branches return their `$.stages`, merged after the Parallel: it must exist
        # before the first one, even when no stage before it kept a result there.
        "start_stages": STAGES_START if any("branches" in step for step in steps) else None,
        "steps": steps,
        "gate": gate,
        "lineage": _lineage(naming, retrain, drift_gate is not None, warm_start_at_top),
        "register": _register(naming, retrain, warm_start_at_top),
    })


#: The Pass that starts `$.stages` empty, in a graph with a Parallel.
STAGES_START = "Start stage results"


def _retrain_levels(naming: Naming, retrain: RetrainPipeline) -> list:
    """The retrain steps, level by level (stages.retrain_levels), each stage given its inputs.

    MLOPS_INPUT_URI (`primary_input`): the output of the stage's one `after` stage, which in the
    default chain is the previous stage's (validate passes the data on, transform rewrites it);
    a tuning stage passes on what it read; no or several `after` stages: `data.source`.

    The monitor's baseline stage (`monitor.baseline`) runs after train (in the default chain, before
    evaluate). Its contract: MLOPS_INPUT_URI is the data train read (`data.source`, or transform's
    output), and it writes `statistics.json` and `constraints.json`, in SageMaker Model Monitor's
    formats, to MLOPS_OUTPUT_URI. That URI is registered as the version's `baseline_uri`; the drift
    checks of that version (Model Monitor's schedule, or the model's own drift job) compare with it.
    """
    found = []
    for level in retrain_levels(naming.config):
        found.append([_stage_step(naming, retrain, name, stage) for name, stage in level])
    return found


def primary_input(naming: Naming, retrain: RetrainPipeline, name: str) -> str:
    """A stage's MLOPS_INPUT_URI (see _retrain_levels)."""
    if name == "baseline":
        return primary_input(naming, retrain, BASELINE_AFTER)
    after = retrain.graph[name].after
    if len(after) != 1:
        return retrain.data_source
    if retrain.graph[after[0]].kind == "tuning":
        return primary_input(naming, retrain, after[0])
    return naming.stage_output("retrain", after[0])


def _stage_io(naming: Naming, retrain: RetrainPipeline, name: str) -> dict:
    """The stage's named inputs and outputs, with their S3 URIs (literal or run-time)."""
    node = retrain.graph.get(name)
    if node is None:
        return {"inputs": [], "outputs": []}
    inputs = [{"name": item.name, "uri": _input_uri(naming, retrain, item), "content_type": item.content_type,
               "mode": item.mode, "distribution": item.distribution, "path": item.path} for item in node.inputs]
    outputs = [{"name": item.name, "uri": naming.stage_output("retrain", f"{name}/{item.name}"), "path": item.path}
               for item in node.outputs]
    return {"inputs": inputs, "outputs": outputs}


def _input_uri(naming: Naming, retrain: RetrainPipeline, item) -> str:
    if item.uri is not None:
        return item.uri
    if item.output == "model" and retrain.graph[item.stage].kind == "training":
        # A SageMaker training job's model artifact (DescribeTrainingJob's ModelArtifacts, kept by
        # its step); a Fargate training stage leaves its model in its folder.
        if retrain.stage(item.stage).compute == "sagemaker":
            return f"{stage_result(item.stage)}.model_data"
        return naming.stage_output("retrain", item.stage)
    return naming.stage_output("retrain", f"{item.stage}/{item.output}" if item.output else item.stage)


def _contract(io: dict) -> dict:
    """MLOPS_INPUT_<NAME>_URI and MLOPS_OUTPUT_<NAME>_URI of the named inputs and outputs."""
    return {**{variable("INPUT", item["name"]): item["uri"] for item in io["inputs"]},
            **{variable("OUTPUT", item["name"]): item["uri"] for item in io["outputs"]}}


def _stage_step(naming: Naming, retrain: RetrainPipeline, name: str, stage) -> dict:
    """One stage's step, with its `budget`: how long it may take (a tuning job's rounds of
    training jobs; a stage's attempts)."""
    input_uri = primary_input(naming, retrain, name)
    if retrain.tune is not None and name == retrain.tune.stage.name:
        step = _tune_step(naming, retrain, input_uri)
        step["budget"] = step["timeout"]
        return step
    io = _stage_io(naming, retrain, name)
    extra = {"MLOPS_DATA_URI": retrain.data_source, **_contract(io)}
    if stage.kind == "training":
        step = _train_step(naming, retrain, stage, input_uri, extra, io["inputs"])
    else:
        step = container_step(naming, "retrain", stage, input_uri, None, extra, io=io)
    step["budget"] = stage_timeout(stage) * (1 + stage.retry.max_attempts)
    return step


def _parallel(naming: Naming, steps: list) -> dict:
    """One level of several stages: a Parallel state with a branch per stage (its task, presence
    check, success event and failure chain). A branch's failure notifies, records, publishes and
    Fails, which fails the Parallel; its Catch then ends the run in a Fail of the outer machine
    that passes the branch's error and cause on (ErrorPath/CausePath), with no second notification.
    Each branch returns its `$.stages` (the OutputPath of its last state), which holds the earlier
    stages' results and its own; the ResultSelector merges them (States.JsonMerge of `$[0]`,
    `$[1]`, ...: shallow, the only mode Step Functions has) into `$.joined`, and the join Pass puts
    them back at `$.stages`, keeping the rest of the state (pointers, hyper-parameters, ...) as it
    was (Step Functions Developer Guide, "Parallel workflow state"; "Intrinsic functions",
    States.JsonMerge). Whole branch results (`$[0]`), not paths into them (`$[0].stages`): a
    single index is one value everywhere, where moto's JSONPath returns a list for the latter."""
    label = " and ".join(step["stage"] for step in steps)
    branches = []
    for step in steps:
        events = failure_chain(naming, "retrain", f"{step['stage']} event not published", "EventsFailed",
                               "An event could not be published to EventBridge, so the registry would miss it.",
                               event=None)
        step["events_failed"] = events["notify_state"]
        step["next"] = None  # the branch ends with the stage's success event
        step["output_path"] = "$.stages"
        if "warm_start" in step:  # in a branch: the run's registry read failure is out of its scope
            step["warm_start"]["read_failed"] = step["failure"]["notify_state"]
        branches.append({"step": step, "events_failure": events})
    return {"name": _state_name(f"Run {label}"), "stage": label, "branches": branches,
            "result_selector": {"stages.$": merge_branches(0, len(steps))}, "join_state": _state_name(f"Join {label}"),
            "fail_state": _state_name(f"Parallel {label} failed"), "next": None}


def merge_branches(first: int, end: int) -> str:
    """The intrinsic merging the branch results `$[first]` .. `$[end - 1]`, as a balanced tree of
    States.JsonMerge: a field may nest at most 10 intrinsic functions (Step Functions Developer
    Guide, "Intrinsic functions"), which a chain would pass at 12 branches; a tree of the 30 stages
    a retrain may have nests 5."""
    if end - first == 1:
        return f"$[{first}]"
    middle = (first + end + 1) // 2
    return f"States.JsonMerge({merge_branches(first, middle)}, {merge_branches(middle, end)}, false)"


def _state_name(text: str) -> str:
    """A state's name within Step Functions' 80 characters (StateExitedEventDetails, Step Functions
    API reference): stage names make it, and a level of several long ones is cut, with a hash of
    the whole. Stage names hold no `,` or `:`, which that page lists as not allowed in names."""
    return names.fit(text, names.LIMITS["state"])


def _job_hyperparameters(naming: Naming, retrain: RetrainPipeline, stage) -> dict:
    """What a training job on `stage` is given, before any tuned values are merged over it: train
    and the tuning stage, train's hyper-parameters and, distributed, the launcher's
    (render/distribution.py; a Fargate train stage takes no distribution: rule
    train-distribution); in script mode, its reserved ones (render/script_mode.py)."""
    own = training_hyperparameters(retrain.hyperparameters, retrain.distribution, stage) \
        if stage.name == "train" or stage.kind == "tuning" else {}
    return {**own, **script_mode_hyperparameters(naming, stage)}


def _static_hyperparameters(naming: Naming, retrain: RetrainPipeline) -> dict:
    """The "Static hyper-parameters" Pass state's Result, or its Parameters where a value is read
    at run time (script mode's archive of the applied commit)."""
    static = _job_hyperparameters(naming, retrain, retrain.train)
    return {"parameters": static, "result": None} if is_dynamic(static) else {"parameters": None, "result": static}


def _train_step(naming: Naming, retrain: RetrainPipeline, stage, input_uri: str, extra: dict,
                channels: list) -> dict:
    """A training stage: `train` (its hyper-parameters, tuned ones merged over them) or one of
    the model's own (no hyper-parameters)."""
    is_train = stage.name == "train"
    tuned = is_train and retrain.tune is not None
    merged = f"States.JsonMerge($.hyperparameters, {stage_result(retrain.tune.stage.name)}.hyperparameters, false)" \
        if tuned else None
    if stage.compute == "fargate":
        own = json.dumps(dict(retrain.hyperparameters), sort_keys=True) if is_train else None
        params = f"States.JsonToString({merged})" if tuned else own
        return container_step(naming, "retrain", stage, input_uri, params, extra)
    hyperparameters = merged if tuned else _job_hyperparameters(naming, retrain, stage)
    env = stage_environment(naming, "retrain", stage, input_uri, None, extra)
    return stage_step(naming, "retrain", stage, f"arn:{naming.platform.partition}:states:::sagemaker:createTrainingJob.sync",
                      sagemaker_training(naming, stage, env, input_uri, hyperparameters, channels),
                      {"job_name.$": "$.TrainingJobName", "model_data.$": "$.ModelArtifacts.S3ModelArtifacts"})


#: The cool-down window of a drift-started retrain, cut from the execution's start time
#: (ISO 8601 UTC, e.g. `2026-11-26T01:47:28.123Z`). States.StringSplit splits at every one of
#: the characters it is given: at 'T' the first piece is the date, at ':' the date and the hour.
COOLDOWN_WINDOWS = {
    "1d": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)",
    "1h": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, ':'), 0)",
}


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
    window = COOLDOWN_WINDOWS[drift.cooldown]
    item = {
        "pk": {"S": naming.model_key},
        "sk": {"S.$": states_format(naming.drift_key_prefix + "{}", window)},
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
        "live": live_version(naming, "Claim drift window", NO_LIVE_VERSION),
        "claim": put_once(naming, item),
        "no_live": NO_LIVE,
        "cooling_down": f"A drift-started retrain of this UTC {period} has started already: this one starts nothing.",
        "event": put_event(naming, "retrain", "DriftDetected",
                           {"alarm.$": "$.alarm", "live_version.$": "$.live.version", "window.$": window}),
        "failure": failure_chain(naming, "retrain", "drift not recorded", "DriftNotRecorded",
                                 "The drift alarm could not be recorded in the registry, so no retrain started.", "RunFailed"),
    }


def _tune_step(naming: Naming, retrain: RetrainPipeline, input_uri: str) -> dict:
    """The tuning job runs train's training jobs: with train's named inputs as its channels and
    their MLOPS_INPUT_<NAME>_URI (train's inputs come from stages that run before tune)."""
    tune = retrain.tune
    channels = _stage_io(naming, retrain, "train")
    extra = {"MLOPS_DATA_URI": retrain.data_source, **_contract({"inputs": channels["inputs"], "outputs": []})}
    if tune.stage.command is not None:
        extra[names.COMMAND_VARIABLE] = names.command_value(tune.stage.command)
    env = stage_environment(naming, "retrain", tune.stage, input_uri, None, extra)
    parameters = sagemaker_tuning(naming, tune, _job_hyperparameters(naming, retrain, tune.stage), env, input_uri,
                                  channels["inputs"])
    step = stage_step(naming, "retrain", tune.stage,
                      f"arn:{naming.platform.partition}:states:::sagemaker:createHyperParameterTuningJob.sync", parameters,
                      None)
    step["timeout"] = -(-(tune.max_jobs or 100) // tune.max_parallel_jobs) * stage_timeout(tune.stage)
    # DescribeHyperParameterTuningJob's BestTrainingJob is optional (a tuning job can complete
    # without one, e.g. no training job reported the objective metric): SELECTING.
    no_best = failure_chain(naming, "retrain", "tune found no best training job", "NoBestTrainingJob",
                            "The tuning job completed without a best training job (did any training job report "
                            "the objective metric?), so there are no tuned hyper-parameters to train with.",
                            "StageFailed", extra_detail={"stage": tune.stage.name})
    step["present"] = select_present(
        step["result_path"], "Best training job found?", "Keep tuned hyper-parameters",
        {"job_name.$": "$.HyperParameterTuningJobName", "best_training_job.$": "$.BestTrainingJob.TrainingJobName",
         "hyperparameters.$": "$.BestTrainingJob.TunedHyperParameters"},
        ["BestTrainingJob"], no_best["notify_state"], step["published_state"])
    step["present"]["failure"] = no_best
    if tune.warm_start:
        step.update(_warm_start(naming, tune, step["name"], parameters))
    return step


#: tune.warm_start.type -> SageMaker's WarmStartType.
WARM_START_TYPES = {"identical_data_and_algorithm": "IdenticalDataAndAlgorithm",
                    "transfer_learning": "TransferLearning"}
#: Where the approved version's registry item is read to, and its tuning job's name in it.
WARM_START_VERSION = "$.warm_start"
PARENT_TUNING_JOB = f"{WARM_START_VERSION}.Item.tuning_job.S"
PARENT_VERSION = f"{WARM_START_VERSION}.Item.version.S"


def _warm_start(naming: Naming, tune: Tune, cold_state: str, parameters: dict) -> dict:
    """`tune.warm_start`: the tuning job starts from the tuning job of the approved version (the
    registry's approved pointer, read with the pointers at the start of the run), which that
    version's item names (`tuning_job`, registered by a run with warm_start). ASL cannot leave
    WarmStartConfig out of one Task's Parameters at run time, so the step has two forms of its
    Task: `<cold_state>` without it (no approved version yet, or one tuned without warm_start or
    not tuned at all) and `<cold_state> (warm start)` with it.

    SageMaker's conditions on a parent (developer guide, "Run a Warm Start Hyperparameter Tuning
    Job"; API reference, HyperParameterTuningJobWarmStartConfig): at most 5 parents (here one),
    each finished (a version is registered only after its tuning job completed); the same
    objective metric, the same number of static plus tuned hyper-parameters, each of the same
    type, and with identical_data_and_algorithm the same data and image. Those depend on the
    parent's config, which the compiler does not see: a parent SageMaker refuses fails the tune
    stage, named and notified (docs/config.md, "Training knobs")."""
    approved = f"{naming.pointers}.approved_version.S"
    warm = dict(parameters, WarmStartConfig={
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName.$": PARENT_TUNING_JOB}],
        "WarmStartType": WARM_START_TYPES[tune.warm_start]})
    return {
        "entry": "Warm start: approved version?",
        "warm_start": {
            "has_version": {"Variable": approved, "IsPresent": True, "Next": "Warm start: read approved version"},
            "read_state": "Warm start: read approved version",
            "read": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                     "Key": {"pk": {"S": naming.model_key},
                             "sk": {"S.$": states_format(naming.version_key_prefix() + "{}", approved)}}},
            "result_path": WARM_START_VERSION,
            "choice_state": "Warm start: parent tuning job?",
            "has_parent": {"And": [{"Variable": f"{WARM_START_VERSION}.Item", "IsPresent": True},
                                   {"Variable": PARENT_TUNING_JOB, "IsPresent": True}],
                           "Next": f"{cold_state} (warm start)"},
            "cold_state": cold_state,
        },
        "variant": {"name": f"{cold_state} (warm start)", "parameters": warm},
    }


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
    # `metrics: {from, file}`: the file under a stage's folder or one of its outputs.
    where = _metrics_where(retrain)
    key = _metrics_key(naming, retrain)
    missing = failure_chain(naming, "retrain", "metrics missing", "MetricsMissing",
                            f"The {retrain.metrics_stage} stage wrote no readable {where}.", "GateFailed")
    return {
        "get_object": {"Bucket": naming.platform.artifact_bucket, "Key.$": states_format(key, naming.run_id)},
        # GetObject's Body is optional in S3's output shape: SELECTING.
        "read": select_present("$.metrics", "Metrics read?", "Parse metrics",
                               {"values.$": "States.StringToJson($.Body)"}, ["Body"], missing["notify_state"],
                               "Check gate"),
        "passes": {"And": checks, "Next": LINEAGE_ENTRY},
        "missing": missing,
        "failure": failure_chain(naming, "retrain", "gate failed", "GateFailed",
                                 f"The evaluation metrics did not pass the gate ({described}).", "GateFailed"),
    }


def _metrics_where(retrain: RetrainPipeline) -> str:
    """The gate's metrics file under its stage's folder (`metrics: {from, file}`)."""
    return (f"{retrain.metrics_output}/" if retrain.metrics_output else "") + retrain.metrics_file


def _metrics_key(naming: Naming, retrain: RetrainPipeline) -> str:
    """The gate's metrics file's key in the artifact bucket, `{}` standing for the run id."""
    return naming.run_prefix("retrain") + f"{retrain.metrics_stage}/{_metrics_where(retrain)}"


def _version_images(naming: Naming) -> dict:
    """The images a version records, by runtime (a deploy serves the version's own): the pointers'
    map while every runtime is built; with prebuilt runtimes, each runtime by name, the built ones
    from the pointers and the prebuilt ones as compiled."""
    runtimes = naming.config.runtimes
    if all(runtime.built for runtime in runtimes):
        return {"M.$": f"{naming.pointers}.images.M"}
    return {"M": {runtime.name: {"S.$": naming.image(runtime.name)} if runtime.built else {"S": runtime.image.uri}
                  for runtime in runtimes}}


def _published_package(naming: Naming) -> dict:
    """With build.publish, the version names the package its code was published as: the pointers'
    `package` (name, version, repository, each file's sha256), written by apply with the images and
    the commit they were built from (compiler/render/pointers.py)."""
    return {"package": {"M.$": f"{naming.pointers}.package.M"}} if naming.config.build.publish else {}


#: The first state of the lineage a version records (`_lineage`), and where it is kept.
LINEAGE_ENTRY, LINEAGE, LINEAGE_WARM_START = "Lineage: how started?", "$.lineage", "$.lineage_warm_start"
#: The drift gate's `$.live.version` when nothing served (the "No live version" Pass's result).
NO_LIVE = "none"


def _trigger_is(value: str) -> list:
    return [{"Variable": "$.trigger", "IsPresent": True}, {"Variable": "$.trigger", "IsString": True},
            {"Variable": "$.trigger", "StringEquals": value}]


def _is_string(path: str) -> list:
    return [{"Variable": path, "IsPresent": True}, {"Variable": path, "IsString": True}]


def _lineage(naming: Naming, retrain: RetrainPipeline, drift: bool, warm_start_at_top: bool) -> dict:
    """Where the version comes from, as the registry item's `lineage` map (DynamoDB-typed, built
    by Pass states into `$.lineage`; docs/registry.md, "Version fields"): `trigger` (the run's input
    `trigger`, `manual` without one); a drift-started run its `drift_alarm` and, when a version
    served, that `parent_version` (`parent_relation: retrained_on_drift`); a run started by new data
    the object that started it (`data_marker`: `s3://<bucket>/<key>`, e.g. the `_SUCCESS` marker
    of a delivery); a warm-started tuning job the approved version whose tuning job it started from
    (`parent_version`, `parent_relation: warm_start`, `parent_tuning_job`). The parent may be
    absent, so each case is its own Pass (a path that is absent fails a Pass, it is not skipped)."""
    alarm = _is_string("$.alarm")
    cases = []
    if drift:  # `$.live.version` is set by the drift gate (the version that served, or `none`)
        served = _is_string("$.live.version") + [{"Not": {"Variable": "$.live.version", "StringEquals": NO_LIVE}}]
        cases.append(("Lineage: retrained on drift", _trigger_is("drift") + alarm + served, {
            "trigger": {"S": "drift"}, "drift_alarm": {"S.$": "$.alarm"}, "parent_version": {"S.$": "$.live.version"},
            "parent_relation": {"S": "retrained_on_drift"}}))
        cases.append(("Lineage: drift, nothing served", _trigger_is("drift") + alarm, {
            "trigger": {"S": "drift"}, "drift_alarm": {"S.$": "$.alarm"}}))
    cases.append(("Lineage: new data", _trigger_is("new_data") + _is_string("$.bucket") + _is_string("$.key"), {
        "trigger": {"S": "new_data"}, "data_marker": {"S.$": "States.Format('s3://{}/{}', $.bucket, $.key)"}}))
    cases.append(("Lineage: started by trigger", _is_string("$.trigger"), {"trigger": {"S.$": "$.trigger"}}))
    after = "Lineage: warm started?" if warm_start_at_top else register_entry(retrain)
    passes = [{"name": name, "parameters": parameters} for name, _, parameters in cases]
    passes.append({"name": "Lineage: started by hand", "parameters": {"trigger": {"S": "manual"}}})
    lineage = {"choices": [{"And": conditions, "Next": name} for name, conditions, _ in cases],
               "default": "Lineage: started by hand", "passes": passes, "next": after, "warm_start": None,
               "register": register_entry(retrain)}
    if warm_start_at_top:
        # The tune step's own choice (`_warm_start`) read the approved version into WARM_START_VERSION.
        lineage["warm_start"] = {
            "choice_state": after,
            "started": {"And": [{"Variable": f"{WARM_START_VERSION}.Item", "IsPresent": True},
                                {"Variable": PARENT_TUNING_JOB, "IsPresent": True},
                                {"Variable": PARENT_VERSION, "IsPresent": True}],
                        "Next": "Lineage: warm-start parent"},
            "parent_state": "Lineage: warm-start parent",
            "parent": {"parent_version": {"S.$": PARENT_VERSION},
                       "parent_relation": {"S": "warm_start"}, "parent_tuning_job": {"S.$": PARENT_TUNING_JOB}},
            "cold_state": "Lineage: cold start",
        }
    return lineage



def _hyperparameters(retrain: RetrainPipeline) -> dict:
    """What the version records of its hyper-parameters: train's own (as configured, JSON), and
    the tuning job's best values (JSON; SageMaker gives them as strings) when it was tuned."""
    recorded = {"hyperparameters": {"S": json.dumps(dict(retrain.hyperparameters), sort_keys=True)}}
    if retrain.tune:
        recorded["tuned_hyperparameters"] = {
            "S.$": f"States.JsonToString({stage_result(retrain.tune.stage.name)}.hyperparameters)"}
    return recorded


def _gate_thresholds(retrain: RetrainPipeline) -> str:
    """The gate the version passed, as JSON: `[{metric, comparison, threshold}]` in the config's order
    (the first metric is the model's main one: `registry history` draws it)."""
    return json.dumps([{"metric": c.metric, "comparison": c.comparison, "threshold": c.threshold}
                       for c in retrain.gate])


def _register(naming: Naming, retrain: RetrainPipeline, warm_start_at_top: bool) -> dict:
    approval = "approved" if retrain.approval == "auto" else "pending"
    train = retrain.train
    model_data = "$.stages.train.model_data" if train.compute == "sagemaker" else None
    item = {
        "pk": {"S": naming.model_key},
        "model": {"S": naming.config.name},
        "environment": {"S": naming.config.environment},
        "version": {"S.$": naming.run_id},
        "approval": {"S": approval},
        "images": _version_images(naming),
        # apply writes images only with the commit they were built from, so both are there.
        "code_commit": {"S.$": f"{naming.pointers}.commit.S"},
        "data_source": {"S": retrain.data_source},
        "model_data": {"S.$": model_data or naming.stage_output("retrain", "train")},
        "execution": {"S.$": "$$.Execution.Id"},
        "registered_at": {"S.$": "$$.State.EnteredTime"},
        # The fingerprint apply computed of the config files and images of that commit.
        "config_fingerprint": {"S.$": f"{naming.pointers}.fingerprint.S"},
        "lineage": {"M.$": f"States.JsonMerge({LINEAGE}, {LINEAGE_WARM_START}, false)" if warm_start_at_top
                    else LINEAGE},
        **_hyperparameters(retrain),
    }
    item["sk"] = {"S.$": states_format(naming.version_key_prefix() + "{}", naming.run_id)}
    item.update(_published_package(naming))
    if retrain.gate:
        item["metrics"] = {"S.$": "States.JsonToString($.metrics.values)"}
        item["gate"] = {"S": _gate_thresholds(retrain)}
    detail = {"version.$": naming.run_id, "approval": approval, "model_data.$": model_data or naming.stage_output("retrain", "train")}
    if retrain.gate:
        detail["metrics.$"] = "$.metrics.values"
    if retrain.tune and retrain.tune.warm_start:
        # The next runs' tuning jobs start from this one once this version is approved.
        item["tuning_job"] = {"S.$": f"{stage_result(retrain.tune.stage.name)}.job_name"}
    if naming.config.monitor and naming.config.monitor.baseline:
        # statistics.json and constraints.json of the training data (the baseline stage's contract)
        baseline = naming.stage_output("retrain", "baseline")
        item["baseline_uri"] = {"S.$": baseline}
        detail["baseline_uri.$"] = baseline
    if retrain.model_package_group:
        item["model_package_arn"] = {"S.$": f"{MODEL_PACKAGE}.arn"}
    return {
        "model_package": model_package(naming, retrain),
        "put_item": put_once(naming, item),
        "event": put_event(naming, "retrain", "ModelRegistered", detail),
        "failure": failure_chain(naming, "retrain", "registration failed", "RegistrationFailed",
                                 "The new model version could not be recorded in the registry.", "RunFailed"),
    }


# --------------------------------------------------------------------------- SageMaker Model Registry

#: The first state of registration: the model package, when the version is mirrored in SageMaker.
REGISTER_MODEL_PACKAGE = "Register model package"
#: Where the model package's ARN is kept for the version item.
MODEL_PACKAGE = "$.model_package"
#: SageMaker's approval status for `register.approval` (CreateModelPackage: ModelApprovalStatus).
PACKAGE_APPROVAL = {"auto": "Approved", "manual": "PendingManualApproval"}


def register_entry(retrain: RetrainPipeline) -> str:
    """The state that starts registering a version that passed its gate."""
    return REGISTER_MODEL_PACKAGE if retrain.model_package_group else "Register model version"


def model_package(naming: Naming, retrain: RetrainPipeline):
    """`register.sagemaker`: CreateModelPackage's request (SageMaker API reference,
    CreateModelPackage), made before the version item, which records the package's ARN (the
    registry's approvals update it; its approval changes in SageMaker come back through
    EventBridge, compiler.registry.sagemaker_mirror).

    - the serving runtime's image (deploy's, else batch's, else train's), by digest when built;
    - the model data: train's model.tar.gz on SageMaker, else its output folder, uncompressed
      (ModelDataSource S3Prefix: the key prefix ends with '/');
    - ModelMetrics.ModelQuality.Statistics: the gate's metrics file (SageMaker's evaluation.json
      layout, as SageMaker Pipelines register it), when there is a gate;
    - CustomerMetadataProperties name the model, environment and version: the registry handler
      finds the version of a "SageMaker Model Package State Change" event by them;
    - ClientToken: the execution's MD5 (32 hex characters; at most 36 of [a-zA-Z0-9-]), so a retry
      of a call whose answer was lost does not create a second package version."""
    group = retrain.model_package_group
    if not group:
        return None
    config = naming.config
    container = naming.image_parameter("Image", _serving_runtime(config))
    if retrain.train.compute == "sagemaker":
        container["ModelDataUrl.$"] = "$.stages.train.model_data"
    else:
        container["ModelDataSource"] = {"S3DataSource": {"S3Uri.$": naming.stage_output("retrain", "train"),
                                                         "S3DataType": "S3Prefix", "CompressionType": "None"}}
    parameters = {
        "ModelPackageGroupName": group,
        "ModelPackageDescription.$": states_format(f"{config.name} {config.environment} version {{}}", naming.run_id),
        "ModelApprovalStatus": PACKAGE_APPROVAL[retrain.approval],
        "InferenceSpecification": {"Containers": [container]},
        "CustomerMetadataProperties": {"mlops:model": config.name, "mlops:environment": config.environment,
                                       "mlops:version.$": naming.run_id},
        "ClientToken.$": "States.Hash($$.Execution.Id, 'MD5')",
    }
    if retrain.gate:
        metrics = f"s3://{naming.platform.artifact_bucket}/{_metrics_key(naming, retrain)}"
        parameters["ModelMetrics"] = {"ModelQuality": {"Statistics": {
            "ContentType": "application/json", "S3Uri.$": states_format(metrics, naming.run_id)}}}
    return {"name": REGISTER_MODEL_PACKAGE, "parameters": parameters, "result_path": MODEL_PACKAGE,
            "result_selector": {"arn.$": "$.ModelPackageArn"}}


def _serving_runtime(config) -> str:
    """The runtime that serves the version: deploy's, else batch's, else the one it trained in."""
    if config.deploy:
        return config.deploy.runtime
    if config.batch:
        return config.batch.stage.runtime
    return config.retrain.train.runtime
