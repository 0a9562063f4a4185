"""The deploy pipeline of `endpoint.serverless` and `endpoint.async`, executed in moto (see
sfn_harness.py): samples/demand-forecast copied with its endpoint made serverless (and its monitor
cut to the health alarms: Serverless Inference has no data capture), or asynchronous and scaled on
its backlog down to zero instances. Versions come from whole retrain runs, deployments from
approvals, as in test_execute_deploy.py.

What moto cannot check: that SageMaker accepts the endpoint configs (its backend stores
ServerlessConfig and AsyncInferenceConfig without validating them), serves them, or refuses an
instance endpoint turned serverless; that the HasBacklogWithoutCapacity alarm ever fires and starts
an instance (moto's CloudWatch does not evaluate metrics nor run Application Auto Scaling's
actions); blue/green traffic shifting itself (the harness settles UpdateEndpoint, see its doc)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from paths import REPO_ROOT
from sfn_harness import Registry, applied, item, published

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

FORECAST_METRICS = {"rmse": 11.0, "mape": 0.1}  # within demand-forecast's gate
ENDPOINT = "demand-forecast-default"
ASYNC_OUTPUT = "s3://acme-ml-artifacts/demand-forecast/async/responses/"
ASYNC_FAILURES = "s3://acme-ml-artifacts/demand-forecast/async/failures/"
SUCCESS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:demand-forecast-async-ok"


def _sample(tmp_path, endpoint: dict, monitor_keys: tuple) -> list:
    """samples/demand-forecast with `endpoint` as its deploy.endpoint and only `monitor_keys` of its monitor."""
    repo = tmp_path / "demand-forecast"
    shutil.copytree(REPO_ROOT / "samples" / "demand-forecast", repo)
    shutil.copy(REPO_ROOT / "samples" / "mlops-platform.yaml", tmp_path / "mlops-platform.yaml")
    config = yaml.safe_load((repo / "mlops.yaml").read_text())
    config["pipelines"]["deploy"]["endpoint"] = endpoint
    config["monitor"] = {key: value for key, value in config["monitor"].items() if key in monitor_keys}
    (repo / "mlops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return [repo]


def _with_versions(account, monkeypatch) -> None:
    account.registry = Registry(account, monkeypatch, "demand-forecast")
    for version in ("v1", "v2"):
        account.registry.register(version, FORECAST_METRICS)
    account.harness.clock.waits.clear()


@pytest.fixture
def serverless(monkeypatch, tmp_path):
    endpoint = {"serverless": {"memory": 2048, "max_concurrency": 20, "provisioned_concurrency": 2}}
    with applied(monkeypatch, tmp_path, _sample(tmp_path, endpoint, ("health",))) as account:
        _with_versions(account, monkeypatch)
        yield account


@pytest.fixture
def asynchronous(monkeypatch, tmp_path):
    endpoint = {"instance_type": "ml.c5.xlarge", "instance_count": 1, "autoscaling": {"min": 0, "max": 4},
                "async": {"output": ASYNC_OUTPUT, "failure_output": ASYNC_FAILURES, "max_concurrent_invocations": 4,
                          "target_backlog_per_instance": 10, "notifications": {"success": SUCCESS_TOPIC}}}
    with applied(monkeypatch, tmp_path, _sample(tmp_path, endpoint, ("capture", "health"))) as account:
        _with_versions(account, monkeypatch)
        yield account


def _config(account, run) -> dict:
    return account.session.client("sagemaker").describe_endpoint_config(
        EndpointConfigName=run.output["deployment"]["endpoint_config"])


def test_serverless_endpoint_is_created_then_updated_blue_green(serverless):
    run = serverless.registry.deploy("v1")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    variant, = _config(serverless, run)["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 2}
    sent, = run.parameters("Create endpoint config")  # moto answers an empty DataCaptureConfig for none
    assert "InstanceType" not in variant and "DataCaptureConfig" not in sent
    model, = run.parameters("Create model")
    assert "VpcConfig" not in model  # Serverless Inference has no VPC configuration (the platform has subnets)
    assert "Create endpoint" in run.entered() and "Register scalable target" not in run.entered()

    second = serverless.registry.deploy("v2")
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    update, = second.parameters("Update endpoint")
    assert update["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "LINEAR"
    assert update["RetainAllVariantProperties"] is False  # the new ServerlessConfig is taken as configured
    assert item(serverless.session, ("MODEL#demand-forecast", "DEPLOYMENT#default"))["version"] == "v2"


def test_serverless_update_rolled_back_by_an_alarm_is_recorded(serverless):
    assert serverless.registry.deploy("v1").status == "SUCCEEDED"

    serverless.harness.endpoint = "roll_back"
    run = serverless.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "DeploymentRolledBack")
    recorded = item(serverless.session, ("MODEL#demand-forecast", "DEPLOYMENT#default"))
    assert (recorded["status"], recorded["version"]) == ("rolled_back", "v2")


def test_async_endpoint_scales_on_its_backlog_and_from_zero(asynchronous):
    run = asynchronous.registry.deploy("v1")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    config = _config(asynchronous, run)["AsyncInferenceConfig"]
    assert config["OutputConfig"]["S3OutputPath"] == ASYNC_OUTPUT
    assert config["OutputConfig"]["S3FailurePath"] == ASYNC_FAILURES
    assert config["OutputConfig"]["NotificationConfig"] == {"SuccessTopic": SUCCESS_TOPIC}
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 4}
    scaling = asynchronous.session.client("application-autoscaling")
    target, = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    policies = {p["PolicyName"]: p for p in scaling.describe_scaling_policies(ServiceNamespace="sagemaker")[
        "ScalingPolicies"]}
    backlog = policies[f"{ENDPOINT}-backlog"]["TargetTrackingScalingPolicyConfiguration"]
    assert (backlog["TargetValue"], backlog["CustomizedMetricSpecification"]["MetricName"]) == (
        10.0, "ApproximateBacklogSizePerInstance")
    from_zero = policies[f"{ENDPOINT}-scale-from-zero"]
    alarm, = asynchronous.session.client("cloudwatch").describe_alarms(
        AlarmNames=[f"{ENDPOINT}-backlog-without-capacity"])["MetricAlarms"]
    assert (alarm["MetricName"], alarm["AlarmActions"]) == ("HasBacklogWithoutCapacity", [from_zero["PolicyARN"]])
    assert published(asynchronous.topic) == []


def _refuse_backlog_alarm(monkeypatch) -> None:
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.cloudwatch.models import CloudWatchBackend

    put = CloudWatchBackend.put_metric_alarm

    def refused(backend, name, *args, **kwargs):  # the rollback alarms are put as before
        if name == f"{ENDPOINT}-backlog-without-capacity":
            raise InvalidParameterValue("the alarm could not be put")
        return put(backend, name, *args, **kwargs)

    monkeypatch.setattr(CloudWatchBackend, "put_metric_alarm", refused)


def _refuse_scale_from_zero_policy(monkeypatch) -> None:
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    put = ApplicationAutoscalingBackend.put_scaling_policy

    def refused(backend, policy_name, *args, **kwargs):  # the target tracking policy is put as before
        if policy_name == f"{ENDPOINT}-scale-from-zero":
            raise AWSValidationException("the policy could not be put")
        return put(backend, policy_name, *args, **kwargs)

    monkeypatch.setattr(ApplicationAutoscalingBackend, "put_scaling_policy", refused)


@pytest.mark.parametrize("state, refuse", [("Put backlog alarm", _refuse_backlog_alarm),
                                           ("Put scale-from-zero policy", _refuse_scale_from_zero_policy)])
def test_async_scaling_not_restored_fails_the_deployment(asynchronous, monkeypatch, state, refuse):
    """The step policy or the alarm that scales out from zero could not be put: the new version
    serves, but an endpoint at zero instances would never start again, so the deployment is a
    failed one (the Catch of either state: "Scaling not restored")."""
    refuse(monkeypatch)
    run = asynchronous.registry.deploy("v1")

    assert (run.status, run.error) == ("FAILED", "DeploymentFailed")
    assert len(run.failures(state)) == 4  # retried 3 times, then caught
    assert run.entered()[run.entered().index(state) + 1] == "Scaling not restored"
    assert item(asynchronous.session, ("MODEL#demand-forecast", "DEPLOYMENT#default"))["status"] == "failed"
