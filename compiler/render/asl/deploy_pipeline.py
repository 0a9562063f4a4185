"""deploy.asl.json: the steps every deploy target shares (choose the version, take the lock,
record and publish the outcome, Model Monitor's schedule), around the target's own states.

A deploy target is one module here (its states' context) and one template
(templates/asl/_deploy_<target>.j2): TARGETS is the one table that names them."""

from __future__ import annotations

from compiler.render.asl import ecs_service_target, lambda_target, sagemaker_endpoint_target
from compiler.render.asl.jinja_templates import render
from compiler.render.asl.monitoring_schedule import monitoring_schedule
from compiler.render.asl.shared_states import (
    BOOKKEEPING_SECONDS, base_context, failure_chain, pointers_check, put_event)
from compiler.render.naming import Naming, states_format

#: deploy.target -> the function that gives its states' context (a new target: a module, a line
#: here, templates/asl/_deploy_<target>.j2 and the schema's enum).
TARGETS = {
    "sagemaker-endpoint": sagemaker_endpoint_target.target_states,
    "lambda": lambda_target.target_states,
    "ecs-service": ecs_service_target.target_states,
}


def definition(naming: Naming) -> dict:
    deploy = naming.config.deploy
    deployment_key = naming.key(naming.deployment_key)

    def outcome(label, error, cause, event, status):
        record = {"TableName": naming.platform.registry_table, "Key": deployment_key,
                  "UpdateExpression": "SET #status = :status, #finished = :finished",
                  "ExpressionAttributeNames": {"#status": "status", "#finished": "finished_at"},
                  "ExpressionAttributeValues": {":status": {"S": status}, ":finished": {"S.$": "$$.State.EnteredTime"}}}
        return failure_chain(naming, "deploy", label, error, cause, event, record=record)

    failures = {
        "no_version": failure_chain(naming, "deploy", "no approved version", "NoApprovedVersion",
                                    "No version was given and the registry has no approved version.", "DeploymentFailed"),
        "not_deployable": failure_chain(naming, "deploy", "version not deployable", "VersionNotDeployable",
                                        "The requested version is not in the registry, not approved, or has no image "
                                        "of the serving runtime.", "DeploymentFailed"),
        "in_progress": failure_chain(naming, "deploy", "deployment in progress", "DeploymentInProgress",
                                     "Another deployment of this model is running; see the notification for its execution.",
                                     "DeploymentFailed",
                                     extra_detail={"running_execution.$": "$.running.Item.execution.S"}),
        "lock": failure_chain(naming, "deploy", "lock failed", "LockFailed", "The deployment lock could not be taken.",
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
    context = {
        **base_context(naming, "deploy", f"Deploy {naming.config.name} ({naming.config.environment}) to "
                       f"{deploy.target} with {deploy.traffic.mode} traffic"),
        "pointers": pointers_check(naming, "deploy", [deploy.runtime], []),
        "failures": failures,
        "lock": _lock(naming, deployment_key,
                      "attribute_not_exists(#status) OR #status <> :deploying OR #execution = :execution", {}),
        "read_lock": {"TableName": naming.platform.registry_table, "Key": deployment_key, "ConsistentRead": True},
        "lock_takeover": _lock_takeover(naming, deployment_key),
        "read_version": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                         "Key": {"pk": {"S": naming.model_key},
                                 "sk": {"S.$": states_format(naming.version_key_prefix() + "{}", "$.request.version")}}},
        "started_event": put_event(naming, "deploy", "DeploymentStarted", {"version.$": "$.request.version",
                                                                           "target": deploy.target}),
        "succeeded_event": put_event(naming, "deploy", "DeploymentSucceeded", {"version.$": "$.request.version",
                                                                               "target": deploy.target}),
        "target": deploy.target,
        "serve_image": serve_image,
        "version_checked": "Lock deployment",  # a target may read something before the lock first
    }
    context.update(TARGETS[deploy.target](naming, deploy, failures, serve_image, model_data, environment))
    context["record_deployed"] = _record_deployed(naming, deployment_key,
                                                  context.pop("live_version", {"S.$": "$.request.version"}))
    if not context.pop("can_roll_back"):
        del failures["rolled_back"]
    context["monitoring"] = monitoring_schedule(naming, deploy) if naming.config.uses_model_monitor else None
    if context["monitoring"]:
        failures.update(context["monitoring"].pop("failures"))
    context["timeout"] = _deploy_timeout(deploy, context)
    return render("deploy.asl.json.j2", context)


def _record_deployed(naming: Naming, deployment_key: dict, live_version: dict) -> dict:
    """The deployment item once the target serves the deployment: `deployed`, and `live_version`,
    the version production traffic goes to (the deployment's, unless a shadow or A/B test keeps
    another there: endpoint_variants.live_version_value)."""
    return {"TableName": naming.platform.registry_table, "Key": deployment_key,
            "UpdateExpression": "SET #status = :status, #finished = :finished, #live = :live",
            "ExpressionAttributeNames": {"#status": "status", "#finished": "finished_at", "#live": "live_version"},
            "ExpressionAttributeValues": {":status": {"S": "deployed"}, ":finished": {"S.$": "$$.State.EnteredTime"},
                                          ":live": live_version}}


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
