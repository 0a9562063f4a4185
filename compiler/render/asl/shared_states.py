"""What every pipeline's state machine is made of: the retries of AWS calls, the failure chain
(notify -> record -> publish -> Fail), the pointers check, a stage's Task state and its time-out,
the selection of optional response members, the polling loop, and the registry reads and writes
more than one pipeline makes."""

from __future__ import annotations

import re

from compiler.model import Poll, Stage
from compiler.render.naming import Naming
from compiler.render.stage_parameters import ecs_run_task, sagemaker_processing, spot_max_wait, stage_environment


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


def base_context(naming: Naming, pipeline: str, comment: str) -> dict:
    events_failure = failure_chain(naming, pipeline, "event publishing failed", "EventsFailed",
                                   "An event could not be published to EventBridge, so the registry would miss it.",
                                   event=None)
    return {"p": naming.platform, "service_retry": SERVICE_RETRY, "comment": comment,
            "events_failure": events_failure}


def failure_chain(naming: Naming, pipeline: str, label: str, error: str, cause: str, event: str | None,
                  record: dict | None = None, extra_detail: dict | None = None) -> dict:
    """The notify -> (record) -> (publish) -> Fail chain of one way of failing; no publish
    when `event` is None (when publishing is what failed)."""
    message = notification(naming, pipeline, label, cause, extra_detail or {})
    detail = {"what": label, "error": error, **(extra_detail or {}), "state.$": "$"}
    return {
        "notify_state": f"Notify {label}",
        "record_state": f"Record {label}" if record else None,
        "publish_state": f"Publish {label}" if event else None,
        "fail_state": f"{label[0].upper()}{label[1:]}",
        "notification": message,
        "record": record,
        "event": put_event(naming, pipeline, event, detail) if event else None,
        "error": error,
        "cause": cause,
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


def pointers_check(naming: Naming, pipeline: str, runtimes: list, task_keys: list, then: str = "Publish run started") -> dict:
    """Read the pointers, check the images and task definitions the pipeline runs are there, then
    `then` (the run is announced by `Publish run started`, which may come after a gate). Only built
    images are in the pointers (a prebuilt one is written into the definition); a runtime's code
    folder is found by the commit apply wrote with the images."""
    config = naming.config
    checks = [{"Variable": naming.image(runtime), "IsPresent": True} for runtime in runtimes
              if config.runtime(runtime).built]
    # The commit names a runtime's code folder, and retrain records it with the version; a check of
    # a built image vouches for it already (apply writes images with their commit).
    if any(config.runtime(runtime).code for runtime in runtimes) or (pipeline == "retrain" and not checks):
        checks.append({"Variable": f"{naming.pointers}.commit.S", "IsPresent": True})
    if pipeline == "retrain":  # the version records the config fingerprint apply wrote with them
        checks.append({"Variable": f"{naming.pointers}.fingerprint.S", "IsPresent": True})
    checks += [{"Variable": f"{naming.pointers}.task_definitions.M['{key}'].S", "IsPresent": True} for key in task_keys]
    return {
        "get_item": {"TableName": naming.platform.registry_table, "Key": naming.key(naming.pointers_key),
                     "ConsistentRead": True},
        "check": {"And": [{"Variable": naming.pointers, "IsPresent": True}] + checks, "Next": then},
        "started_event": put_event(naming, pipeline, "RunStarted", {}),
        "failure": failure_chain(naming, pipeline, "pointers missing", "PointersMissing",
                                 "The registry has no image for a runtime this pipeline runs: has the build stage run and apply written its images?",
                                 "RunFailed"),
        "read_failure": failure_chain(naming, pipeline, "registry read failed", "RegistryReadFailed",
                                      "The registry table could not be read (after retries).", "RunFailed"),
    }


def stage_retry(stage: Stage) -> list:
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


def stage_timeout(stage: Stage) -> int:
    """A stage's state time-out: the job's own limit and the margin."""
    limit = spot_max_wait(stage) if stage.spot else stage.timeout_seconds
    return limit + STATE_MARGIN_SECONDS


def container_step(naming: Naming, pipeline: str, stage: Stage, input_uri: str, params, extra_env=None,
                   task_scope: Naming | None = None, io: dict | None = None) -> dict:
    """A stage that runs a container: a Fargate task or a SageMaker processing job. The task's
    parameters read the run id and pointers where `task_scope` says (a Distributed Map's child
    execution: under `$.BatchInput`); the step's events and failure chain run in the pipeline's
    own execution, so they always read them where `naming` says."""
    scope = task_scope or naming
    environment = stage_environment(scope, pipeline, stage, input_uri, params, extra_env)
    if stage.compute == "fargate":
        resource = f"arn:{naming.platform.partition}:states:::{ECS_SYNC}"
        parameters = ecs_run_task(scope, pipeline, stage, environment)
        # runTask.sync outputs the stopped task (DescribeTasks' Tasks[0]), whose members ECS marks
        # all optional, and nothing downstream reads it: the result is dropped (see SELECTING).
        step = stage_step(naming, pipeline, stage, resource, parameters, None)
        step["result_path"] = None
        return step
    resource = f"arn:{naming.platform.partition}:states:::sagemaker:createProcessingJob.sync"
    parameters = sagemaker_processing(scope, pipeline, stage, environment, io)
    return stage_step(naming, pipeline, stage, resource, parameters, {"job_name.$": "$.ProcessingJobName"})


#: SELECTING WHAT A STATE KEEPS OF AN AWS RESPONSE, the rule for every pipeline: a ResultSelector
#: reads only members the API's output shape marks `required` (botocore's service model, as
#: `mlopsc verify` proves). A ResultSelector that reads an absent member fails the state with
#: States.Runtime, which no Catch takes, not even States.ALL (Step Functions developer guide,
#: "Error names": "A retry or catch on States.ALL won't catch States.Runtime errors"): the
#: execution would end without a notification. So a state that needs an optional member keeps
#: the response under its ResultPath, a Choice tests the member (`IsPresent`) and its Default is
#: a named failure chain (notify -> record -> publish -> Fail, `failure_chain`); a Pass then selects
#: what is needed over the response. A member nothing downstream reads is not selected at all.
_RESPONSE_ROOT = re.compile(r"(?<!\$)\$(?=[.\[])")


def select_present(result_path: str, check_state: str, select_state: str, selector: dict, optional: list,
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


_SHORTHAND_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def stage_result(name: str) -> str:
    """Where a stage's step keeps its result: `$.stages.<name>`; in bracket notation when the name
    holds a `-` (a stage of the model's own), as Step Functions requires for a field name with
    punctuation other than `_` (Step Functions Developer Guide, "Using JSONPath paths")."""
    return f"$.stages.{name}" if _SHORTHAND_NAME.match(name) else f"$.stages['{name}']"


def stage_step(naming: Naming, pipeline: str, stage: Stage, resource: str, parameters: dict, selector: dict) -> dict:
    title = stage.name.capitalize()
    return {
        "name": title,
        "resource": resource,
        "parameters": parameters,
        "result_selector": selector,
        "result_path": stage_result(stage.name),
        "timeout": stage_timeout(stage),
        "retry": stage_retry(stage),
        "published_state": f"Publish {stage.name} succeeded",
        "succeeded_event": put_event(naming, pipeline, "StageSucceeded", {"stage": stage.name}),
        "failure": failure_chain(naming, pipeline, f"{stage.name} failed", f"{title}Failed",
                                 f"The {stage.name} stage failed after its retries.", "StageFailed",
                                 extra_detail={"stage": stage.name}),
        "present": None,  # a `select_present` between the task and its success event, if any
        "next": None,
        "stage": stage.name,
        #: Where a failed success event goes: None, the pipeline's `events_failure`; in a Parallel
        #: branch, which cannot reach the states outside it, a chain of the branch's own.
        "events_failed": None,
        #: The OutputPath of the success event, the step's last state: in a Parallel branch, the
        #: branch returns only its `$.stages`.
        "output_path": None,
    }


def chain(steps: list, last_next: str) -> list:
    for step, following in zip(steps, steps[1:] + [None]):
        step["next"] = entry_state(following) if following else last_next
    return steps


def entry_state(step: dict) -> str:
    """The first state of a step: its task, unless states that choose between two forms of the
    task come first (`entry`, e.g. the tune stage's warm start)."""
    return step.get("entry") or step["name"]


#: The state after the pointers check, and the first state of a retrain's drift check.
RUN_STARTED, DRIFT_GATE = "Publish run started", "Started by drift?"

#: The first state that finds the version that serves, and where a drift check without one goes on.
LIVE_VERSION, NO_LIVE_VERSION = "Read deployment", "No live version"

#: The baseline of the version read into `$.model_version` (deploy: the one deployed; drift: the live one).
VERSION_BASELINE = "$.model_version.Item.baseline_uri.S"


def put_once(naming: Naming, item: dict) -> dict:
    """A registry PutItem that writes `item` only if no other execution has written it (the item
    names its execution). The write is idempotent for its own execution: when a write that
    succeeded is retried (its answer was lost: a time-out, a 5xx after the commit), the retry
    finds the item it wrote and succeeds, instead of failing its own condition."""
    assert item["execution"] == {"S.$": "$$.Execution.Id"}, "the item must name its execution"
    return {"TableName": naming.platform.registry_table, "Item": item,
            "ConditionExpression": "attribute_not_exists(pk) OR #execution = :execution",
            "ExpressionAttributeNames": {"#execution": "execution"},
            "ExpressionAttributeValues": {":execution": {"S.$": "$$.Execution.Id"}}}


def live_version(naming: Naming, found: str, nothing: str) -> dict:
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


def poll_states(naming: Naming, prefix: str, poll: Poll, describe_resource: str, describe_parameters: dict,
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
