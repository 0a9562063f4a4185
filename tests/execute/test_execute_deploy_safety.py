"""Issue 13, deploy pipeline defects that only a real account shows, executed in moto (sfn_harness.py):
the endpoint lookup (item 10), autoscaling through updates, rollbacks and failures (item 8), a
redeploy of the live Lambda version (item 9) and the function's own environment (item 15).

Every deployment is the one an approval started (sfn_harness.Registry), but for the redeploy of
the live version, which the registry refuses and `mlopsc run deploy` starts by hand; no test
writes a registry item."""

from __future__ import annotations

import json
import shutil

import pytest

from sfn_harness import apply_again, published, start
from test_execute_deploy import SAMPLES, alias, deployment, forecast, fraud, subjects  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e,  # moto-backed AWS (apply, state machine executions)
              pytest.mark.in_fork]  # each test in a fork of the module's account (tests/support/forks.py)

SCALED = "endpoint/demand-forecast-default/variant/AllTraffic"
POLICY = "demand-forecast-default-invocations"


def scalable_targets(account) -> list:
    return [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in account.session.client(
        "application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]]


def scaling_policies(account) -> list:
    return [p["PolicyName"] for p in account.session.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="sagemaker")["ScalingPolicies"]]


def sagemaker_backend():
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends["111111111111"]["eu-west-1"]


# ----------------------------------------------------------------------------- item 10: Find endpoint

def test_an_endpoint_that_cannot_be_read_is_not_created_again(forecast, monkeypatch):
    """AccessDenied (or throttling past its retries) on DescribeEndpoint is not "no endpoint": the
    deployment fails instead of calling CreateEndpoint on an endpoint that exists."""
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    from moto.core.exceptions import JsonRESTError
    from moto.sagemaker.models import SageMakerModelBackend

    def denied(self, name):
        raise JsonRESTError("AccessDeniedException", f"not authorized to perform sagemaker:DescribeEndpoint on {name}")

    monkeypatch.setattr(SageMakerModelBackend, "describe_endpoint", denied)
    run = forecast.registry.deploy("v2")
    assert (run.status, run.error) == ("FAILED", "DeploymentFailed")
    assert "Create endpoint" not in run.entered() and "Update endpoint" not in run.entered()
    assert deployment(forecast, "demand-forecast")["status"] == "failed"  # the lock is free again


def test_a_missing_endpoint_is_created(forecast):
    """The documented not-found answer (ValidationException, `Could not find endpoint`) creates it."""
    run = forecast.registry.deploy("v1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    # moto, like Step Functions for an error SageMaker's API model does not declare, names it after the
    # service's base exception; what identifies it is SageMaker's message.
    assert run.failures("Find endpoint")[-1]["error"].startswith("SageMaker.")
    assert "Could not find endpoint" in run.failures("Find endpoint")[-1]["cause"]
    assert "Create endpoint" in run.entered()


def test_an_endpoint_in_failed_status_is_reported_not_updated(forecast):
    """"DeleteEndpoint is the only operation that can be performed on a failed endpoint" (SageMaker
    API reference, DescribeEndpoint: EndpointStatus): the deployment says so and frees the lock."""
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    sagemaker_backend().endpoints["demand-forecast-default"].endpoint_status = "Failed"  # as SageMaker leaves it

    run = forecast.registry.deploy("v2")
    assert (run.status, run.error) == ("FAILED", "EndpointFailed")
    assert "delete it" in run.cause
    assert "Update endpoint" not in run.entered() and "Create endpoint" not in run.entered()
    assert subjects(forecast) == ["endpoint failed"]
    assert deployment(forecast, "demand-forecast")["status"] == "failed"


# ----------------------------------------------------------------------------- item 8: autoscaling

def test_an_update_keeps_the_scaled_fleet_and_its_scaling(forecast):
    """Same instance type: no deregistration (SageMaker developer guide, "Update endpoints that use
    auto scaling": only an instance type change or a removed variant needs it), and the update
    keeps the current instance count (RetainAllVariantProperties) instead of InitialInstanceCount."""
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    run = forecast.registry.deploy("v2")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert "Deregister scalable target" not in run.entered(), run.output["serving"]
    update = run.parameters("Update endpoint")[0]
    assert update["RetainAllVariantProperties"] is True
    assert update["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DataCaptureConfig"}]
    assert scalable_targets(forecast) == [(SCALED, 2, 6)]
    assert scaling_policies(forecast) == [POLICY]


def change_instance_type(account, tmp_path, instance_type: str) -> None:
    """The model's config now asks for another instance type: compiled and applied again, as
    `mlopsc apply` would after the commit."""
    root = tmp_path / "changed"
    shutil.copytree(SAMPLES / "demand-forecast", root / "demand-forecast")
    shutil.copy(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
    config = root / "demand-forecast" / "mlops.yaml"
    config.write_text(config.read_text().replace("instance_type: ml.c5.xlarge", f"instance_type: {instance_type}"))
    apply_again(account, [root / "demand-forecast"])  # a later commit, the same images
    from moto.sns.models import sns_backends

    sns_backends["111111111111"]["eu-west-1"].topics[account.topic].sent_notifications.clear()


@pytest.mark.parametrize("endpoint, error", [("roll_back", "DeploymentRolledBack"),
                                             ("never_ready", "DeploymentTimedOut"),
                                             ("ready", "DeploymentSucceeded")])
def test_scaling_is_registered_again_on_every_way_out_of_an_instance_type_change(forecast, tmp_path, endpoint, error):
    """A new instance type needs the variant deregistered first; whatever the update's end, the
    endpoint is scaled again afterwards (before: a rollback or time-out left it unscaled)."""
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    change_instance_type(forecast, tmp_path, "ml.c5.2xlarge")
    forecast.harness.endpoint = endpoint

    run = forecast.registry.deploy("v2")
    assert (run.error or "DeploymentSucceeded") == error, (run.error, run.cause)
    entered = run.entered()
    assert entered.index("Deregister scalable target") < entered.index("Update endpoint") < \
        entered.index("Register scalable target") < entered.index("Put scaling policy")
    assert scalable_targets(forecast) == [(SCALED, 2, 6)]
    assert scaling_policies(forecast) == [POLICY]


def test_an_update_that_is_refused_still_restores_the_scaling(forecast, tmp_path, monkeypatch):
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    change_instance_type(forecast, tmp_path, "ml.c5.2xlarge")
    harness = forecast.harness
    original = harness.sagemaker

    def refuse_update(action, parameters):
        if action == "updateEndpoint":
            client = harness.session.client("sagemaker")
            raise client.exceptions.ResourceLimitExceeded(
                {"Error": {"Code": "ResourceLimitExceeded", "Message": "instance limit"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}}, "UpdateEndpoint")
        return original(action, parameters)

    monkeypatch.setattr(harness, "sagemaker", refuse_update)
    run = forecast.registry.deploy("v2")
    assert (run.status, run.error) == ("FAILED", "DeploymentFailed")
    assert "Register scalable target" in run.entered()
    assert scalable_targets(forecast) == [(SCALED, 2, 6)]


# ----------------------------------------------------------------------------- item 9: redeploy of the live version

def test_redeploying_the_live_lambda_version_succeeds_without_shifting_traffic(fraud):
    """PublishVersion returns the existing version when code and configuration did not change
    (Lambda API reference, PublishVersion); an alias cannot weight traffic toward its own version.
    Before: "Shift traffic" failed and the redeploy was reported as a rollback."""
    first = fraud.registry.deploy("v1")
    assert first.status == "SUCCEEDED", (first.error, first.cause)
    live = alias(fraud)["FunctionVersion"]

    # The registry refuses to approve or roll back to the deployed version: `mlopsc run deploy --input
    # '{"version": "v1"}'` starts it by hand; its events reach the handler all the same.
    from compiler.errors import Refused

    for decide in (fraud.registry.store.approve, fraud.registry.store.rollback):
        with pytest.raises(Refused):
            decide("v1")
    again = fraud.registry.finished(start(fraud.sfn, "fraud-scoring-prod-deploy", "deploy-1-again", {"version": "v1"}))
    assert again.status == "SUCCEEDED", (again.error, again.cause)
    assert again.output["published"]["Version"] == live == alias(fraud)["FunctionVersion"]
    assert "Shift traffic" not in again.entered() and "Roll back alias" not in again.entered()
    assert published(fraud.topic) == []
    assert deployment(fraud, "fraud-scoring", "prod")["status"] == "deployed"


# ----------------------------------------------------------------------------- item 15: the function's environment

def test_variables_set_on_the_function_by_others_are_kept(fraud):
    """UpdateFunctionConfiguration replaces the whole Environment (Lambda API reference); the
    deployment merges its own variables over the function's, so the owner's stay."""
    functions = fraud.session.client("lambda")
    functions.update_function_configuration(FunctionName="fraud-scoring", Environment={"Variables": {
        "FEATURE_FLAGS": "strict", "MLOPS_MODEL_VERSION": "stale"}})

    run = fraud.registry.deploy("v1")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    variables = functions.get_function_configuration(FunctionName="fraud-scoring")["Environment"]["Variables"]
    assert variables["FEATURE_FLAGS"] == "strict"  # the owner's
    assert variables["MLOPS_MODEL_VERSION"] == "v1"  # ours win
    assert variables["MLOPS_MODEL"] == "fraud-scoring"
    assert json.loads(json.dumps(run.parameters("Update function configuration")[0]["Environment"]))["Variables"] == \
        variables


# ----------------------------------------------------------------------------- item 7: a canary sees its own errors

def alarm_window(alarm: dict) -> int:
    periods = [alarm.get("Period")] + [m["MetricStat"]["Period"] for m in alarm.get("Metrics", ()) if "MetricStat" in m]
    return max(p for p in periods if p) * alarm["EvaluationPeriods"]


def test_a_failing_canary_is_rolled_back_by_the_alarm_on_its_own_version(fraud):
    """The rollback alarm watches the new version's invocations (AWS/Lambda `ExecutedVersion`,
    Lambda developer guide, "Types of metrics for Lambda functions"), not the alias's, where a 10%
    canary is diluted by 90% of the old version; and the canary's interval covers the alarm's
    Period x EvaluationPeriods, the least time it needs to reach ALARM."""
    first = fraud.registry.deploy("v1")
    assert first.status == "SUCCEEDED"
    v1 = alias(fraud)["FunctionVersion"]
    cloudwatch = fraud.session.client("cloudwatch")
    seen = {}

    def new_version_fails(execution, state, seconds):
        if execution != first.name and state == "Wait traffic interval":
            (alarm,) = cloudwatch.describe_alarms(AlarmNames=["fraud-scoring-prod-rollback-error-rate"])["MetricAlarms"]
            seen["alarm"], seen["wait"] = alarm, seconds
            # the new version's errors, as CloudWatch would evaluate them after the window: ALARM
            cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM",
                                       StateReason="errors of the new version")

    fraud.harness.clock.on_wait = new_version_fails
    run = fraud.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "DeploymentRolledBack")
    new_version = run.parameters("Shift traffic")[0]["RoutingConfig"]["AdditionalVersionWeights"]
    alarm = seen["alarm"]
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            dimensions = {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"]["Dimensions"]}
            assert dimensions == {"FunctionName": "fraud-scoring", "Resource": "fraud-scoring:live",
                                  "ExecutedVersion": next(iter(new_version))}
    assert next(iter(new_version)) != v1
    assert seen["wait"] >= alarm_window(alarm) == 300
    assert alias(fraud)["FunctionVersion"] == v1 and not alias(fraud).get("RoutingConfig", {}).get(
        "AdditionalVersionWeights")


def test_the_endpoint_rolls_back_on_alarms_of_its_new_fleet(forecast):
    """SageMaker publishes the new fleet's metrics with an `EndpointConfigName` dimension (SageMaker
    developer guide, "Auto-Rollback Configuration and Monitoring", "Monitor model latency on the
    new fleet"): the AutoRollbackConfiguration names alarms on it, and each traffic step waits
    for their whole window."""
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    run = forecast.registry.deploy("v2")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    config = run.output["deployment"]["endpoint_config"]
    update = run.parameters("Update endpoint")[0]["DeploymentConfig"]
    names = [a["AlarmName"] for a in update["AutoRollbackConfiguration"]["Alarms"]]
    alarms = forecast.session.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(names) == [
        "demand-forecast-default-rollback-error-rate", "demand-forecast-default-rollback-latency-p99"]
    for alarm in alarms:
        metrics = [alarm] if "Dimensions" in alarm and alarm["Dimensions"] else [
            q["MetricStat"]["Metric"] for q in alarm["Metrics"] if "MetricStat" in q]
        for metric in metrics:
            assert {"Name": "EndpointConfigName", "Value": config} in metric["Dimensions"]
        wait = update["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"]
        assert wait >= alarm_window(alarm)


def test_validate_refuses_a_traffic_step_shorter_than_the_rollback_alarm_window(tmp_path):
    from compiler import api

    root = tmp_path / "repo"
    shutil.copytree(SAMPLES / "fraud-lambda", root / "fraud-lambda")
    shutil.copy(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
    config = root / "fraud-lambda" / "mlops.yaml"
    text = config.read_text().replace("    evaluation_periods: 1\n", "    evaluation_periods: 3\n")
    config.write_text(text)
    validation = api.validate([str(root / "fraud-lambda")], str(root / "mlops-platform.yaml"))
    problems = [p for p in validation.problems if p.rule == "rollback-window"]
    assert len(problems) == 1  # prod's canary; dev deploys all at once without bake
    problem = problems[0]
    assert problem.path == "pipelines.deploy.traffic.interval"
    assert problem.line == text.splitlines().index("      interval: 5m") + 1
    assert "15 minutes monitor:error-rate needs to reach ALARM" in problem.message
    assert "at least 15m" in problem.hint and "evaluation_periods to at most 1" in problem.hint


def test_a_timed_out_update_whose_scaling_cannot_be_registered_is_still_a_time_out(forecast, tmp_path, monkeypatch):
    """While SageMaker still updates the endpoint, Application Auto Scaling may refuse to register
    it: the deployment is reported as what it was, timed out, not as a failure of the scaling."""
    assert forecast.registry.deploy("v1").status == "SUCCEEDED"
    change_instance_type(forecast, tmp_path, "ml.c5.2xlarge")
    forecast.harness.endpoint = "never_ready"
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.core.exceptions import JsonRESTError

    def updating(*_args, **_kwargs):
        raise JsonRESTError("ValidationException", "endpoint demand-forecast-default is Updating")

    monkeypatch.setattr(ApplicationAutoscalingBackend, "register_scalable_target", updating)
    run = forecast.registry.deploy("v2")
    assert (run.status, run.error) == ("FAILED", "DeploymentTimedOut")
    assert deployment(forecast, "demand-forecast")["status"] == "timed_out"


# ----------------------------------------------------------------------------- an optional member AWS leaves out

@pytest.mark.parametrize("member, error, routed_at", [
    ("LastUpdateStatus", "DeploymentTimedOut", "Is configuration update ready?"),
    ("Version", "DeploymentFailed", "Version published?"),
])
def test_an_absent_optional_member_is_a_notified_failure_that_frees_the_lock(fraud, monkeypatch, member, error,
                                                                             routed_at):
    """Lambda's API model marks LastUpdateStatus and Version optional in a function's configuration
    (botocore lambda service-2.json, FunctionConfiguration: no `required`), and Lambda leaves
    LastUpdateStatus out of a function that was never updated. A ResultSelector naming a member
    that is not there fails with States.Runtime, which no Catcher takes, not even States.ALL (Step
    Functions developer guide, "Error names"): the run would end unnotified with the lock held.
    The deploy pipeline keeps the response whole and routes on the member's presence instead."""
    from moto.awslambda.models import LambdaFunction

    returned = LambdaFunction.get_configuration

    def without_member(self, *args, **kwargs):
        config = returned(self, *args, **kwargs)
        config.pop(member, None)
        return config

    monkeypatch.setattr(LambdaFunction, "get_configuration", without_member)
    run = fraud.registry.deploy("v1")
    assert (run.status, run.error) == ("FAILED", error), run.cause
    assert routed_at in run.entered()
    assert any(s.startswith("deployment ") for s in subjects(fraud)), subjects(fraud)  # notified
    assert deployment(fraud, "fraud-scoring", "prod")["status"] != "deploying"  # the lock is free again
