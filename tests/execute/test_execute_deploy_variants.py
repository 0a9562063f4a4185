"""A/B production variants and shadow tests of deploy target `sagemaker-endpoint`, executed in
moto (sfn_harness.py): demand-forecast without autoscaling (the endpoint-variants rule refuses it
beside variants) deploys v1 with its one variant AllTraffic, then a later commit adds the A/B
variants or the shadow test and v2's approval deploys them: `live` is v1 (the last deployment that
ended deployed), `candidate` v2 (the version the deployment deploys).

What moto cannot check: SageMaker's routing of requests by InitialVariantWeight, the copy of
requests to a shadow variant and the capture of its responses (moto stores the endpoint config as
given; the harness settles the endpoint update itself)."""

from __future__ import annotations

import contextlib
import datetime
import shutil

import pytest
import yaml

from compile_helpers import invoke
from paths import REPO_ROOT
from sfn_harness import Registry, applied, apply_again, item, published

pytestmark = [pytest.mark.e2e,  # moto-backed AWS (apply, state machine executions)
              pytest.mark.in_fork]  # each test in a fork of the module's account (tests/support/forks.py)

SAMPLES = REPO_ROOT / "samples"
METRICS = {"rmse": 11.0, "mape": 0.1}  # within demand-forecast's gate
MODEL = "demand-forecast"


def write_config(root, endpoint_keys: dict, traffic: dict | None = None) -> None:
    """demand-forecast in `root`, unscaled, its endpoint with `endpoint_keys` added (and then
    updated all at once, by default without alarms: see the endpoint-variants rule); `traffic`
    adds keys to that all-at-once traffic (an A/B test's bake and alarms)."""
    if not (root / MODEL).exists():
        shutil.copytree(SAMPLES / MODEL, root / MODEL, ignore=shutil.ignore_patterns("data", "tests"))
        shutil.copy(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
    path = root / MODEL / "mlops.yaml"
    config = yaml.safe_load((SAMPLES / MODEL / "mlops.yaml").read_text())
    endpoint = config["pipelines"]["deploy"]["endpoint"]
    del endpoint["autoscaling"]
    endpoint.update(endpoint_keys)
    if endpoint_keys:  # guardrails need the same variant names before and after (rule endpoint-variants)
        config["pipelines"]["deploy"]["traffic"] = {"mode": "all-at-once", **(traffic or {})}
    path.write_text(yaml.safe_dump(config, sort_keys=False))


@contextlib.contextmanager
def live_v1_built(monkeypatch, tmp_path):
    """v1 deployed with the one variant AllTraffic, v2 registered and pending."""
    root = tmp_path / "repository"
    write_config(root, {})
    with applied(monkeypatch, tmp_path, [root / MODEL]) as account:
        account.root = root
        account.registry = Registry(account, monkeypatch, MODEL)
        account.registry.register("v1", METRICS)
        assert account.registry.deploy("v1").status == "SUCCEEDED"
        account.registry.register("v2", METRICS)
        yield account


@pytest.fixture
def live_v1(live_accounts):
    """live_v1_built, built once for the module; each test runs in a fork of it."""
    with live_accounts.fresh("live-v1", live_v1_built) as account:
        yield account


def with_variants(account, endpoint_keys: dict, traffic: dict | None = None) -> None:
    """A later commit adds `endpoint_keys` (variants, shadow), applied as `mlopsc apply` would."""
    write_config(account.root, endpoint_keys, traffic)
    apply_again(account, [account.root / MODEL])


def served_versions(account, variants: list) -> dict:
    """variant name -> (the registry version whose model data its model serves, weight, count)."""
    sagemaker = account.session.client("sagemaker")
    served = {}
    for variant in variants:
        data = sagemaker.describe_model(ModelName=variant["ModelName"])["PrimaryContainer"]["ModelDataUrl"]
        version = next(v for v in ("v1", "v2", "v3") if data == (item(
            account.session, (f"MODEL#{MODEL}", f"VERSION#default#{v}")) or {}).get("model_data"))
        served[variant["VariantName"]] = (version, variant["InitialVariantWeight"], variant["InitialInstanceCount"])
    return served


def endpoint_config(account, name: str) -> dict:
    return account.session.client("sagemaker").describe_endpoint_config(EndpointConfigName=name)


def deployment(account) -> dict:
    return item(account.session, (f"MODEL#{MODEL}", "DEPLOYMENT#default"))


AB = {"variants": {"blue": {"version": "live", "weight": 80},
                   "green": {"version": "candidate", "weight": 20, "instance_count": 2}}}


def test_ab_variants_serve_the_live_version_and_the_candidate_by_weight(live_v1):
    with_variants(live_v1, AB)

    run = live_v1.registry.deploy("v2")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    entered = run.entered()
    assert entered.index("Read live deployment") < entered.index("Lock deployment")  # before the lock rewrites it
    assert entered.index("Create model") < entered.index("Create model: blue") < entered.index("Create endpoint config")
    config = run.output["deployment"]["endpoint_config"]
    assert served_versions(live_v1, endpoint_config(live_v1, config)["ProductionVariants"]) == {
        "blue": ("v1", 80.0, 1), "green": ("v2", 20.0, 2)}
    assert "DeploymentConfig" not in run.parameters("Update endpoint")[0]  # SageMaker's plain update
    endpoint = live_v1.session.client("sagemaker").describe_endpoint(EndpointName="demand-forecast-default")
    assert endpoint["EndpointConfigName"] == config
    assert (deployment(live_v1)["status"], deployment(live_v1)["version"]) == ("deployed", "v2")
    # apply put monitor.health's alarms per variant, on each variant's metrics
    alarms = live_v1.session.client("cloudwatch").describe_alarms()
    assert {a["AlarmName"]: {d["Name"]: d["Value"] for d in a["Dimensions"]} for a in alarms["MetricAlarms"] if a["AlarmName"].startswith("demand-forecast-default-latency")} == {
        f"demand-forecast-default-latency-p99-{variant}": {"EndpointName": "demand-forecast-default", "VariantName": variant}
        for variant in ("blue", "green")}


def test_a_rolled_back_deployment_leaves_the_live_version_where_it_was(live_v1):
    live_v1.harness.endpoint = "roll_back"  # v2 (without variants) rolled back: v1 still serves
    assert live_v1.registry.deploy("v2").error == "DeploymentRolledBack"
    live_v1.harness.endpoint = "ready"
    with_variants(live_v1, AB)

    run = live_v1.registry.deploy("v2", rollback=True)

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    config = endpoint_config(live_v1, run.output["deployment"]["endpoint_config"])
    assert {name: served[0] for name, served in served_versions(live_v1, config["ProductionVariants"]).items()} == \
        {"blue": "v1", "green": "v2"}


@contextlib.contextmanager
def ab_test_first_built(monkeypatch, tmp_path):
    """An environment whose first config has an A/B test against `live`: v1 registered, nothing deployed."""
    root = tmp_path / "repository"
    write_config(root, AB)
    with applied(monkeypatch, tmp_path, [root / MODEL]) as account:
        account.registry = Registry(account, monkeypatch, MODEL)
        account.registry.register("v1", METRICS)
        yield account


def test_a_variant_serving_live_fails_before_the_lock_when_no_deployment_recorded_one(live_accounts):
    """An environment's first deployment, with an A/B test against `live`: nothing serves yet."""
    with live_accounts.fresh("ab-test-first", ab_test_first_built) as account:
        run = account.registry.deploy("v1")

        assert (run.status, run.error) == ("FAILED", "NoLiveVersion")
        assert "Lock deployment" not in run.entered() and "Create model" not in run.entered()
        assert item(account.session, (f"MODEL#{MODEL}", "DEPLOYMENT#default")) == {}  # nothing taken


def test_a_variant_version_that_is_not_deployable_fails_the_deployment_and_frees_the_lock(live_v1):
    with_variants(live_v1, {"variants": {"old": {"version": "v0", "weight": 1}, "new": {"version": "candidate", "weight": 1}}})

    run = live_v1.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "VariantVersionNotDeployable")
    assert "Create endpoint config" not in run.entered()
    assert (deployment(live_v1)["status"], deployment(live_v1)["version"]) == ("failed", "v2")
    assert [n["subject"].rsplit(": ", 1)[-1] for n in published(live_v1.topic)] == ["variant version not deployable"]


def test_the_live_deployment_unreadable_fails_the_deployment_before_the_lock(live_v1):
    with_variants(live_v1, AB)
    live_v1.harness.fail_state("Read live deployment", "DynamoDB.ResourceNotFoundException")

    run = live_v1.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "NoLiveVersion")
    assert deployment(live_v1)["status"] == "deployed"


def test_shadow_test_copies_traffic_to_the_candidate_while_the_live_version_answers(live_v1):
    with_variants(live_v1, {"shadow": {"sampling_percent": 50}})

    run = live_v1.registry.deploy("v2")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    config = endpoint_config(live_v1, run.output["deployment"]["endpoint_config"])
    assert served_versions(live_v1, config["ProductionVariants"]) == {"AllTraffic": ("v1", 1.0, 2)}  # endpoint.instance_count
    assert config["DataCaptureConfig"]["EnableCapture"] is True  # the shadow's responses are captured too
    sent = run.parameters("Create endpoint config")[0]["ShadowProductionVariants"]
    assert served_versions(live_v1, sent) == {"Shadow": ("v2", 0.5, 1)}
    assert config["ShadowProductionVariants"] == sent  # kept by the harness (moto drops them)


# ----------------------------------------------------------------------------- the A/B test's rollback

#: The A/B test watched for 15 minutes (demand-forecast's 2 periods of 5 minutes fit) on the
#: monitor's health alarms of the variant under test, green (blue serves the live version).
WATCHED = {"bake": "15m", "alarms": ["monitor:error-rate", "monitor:latency-p99"]}
GREEN_ALARMS = ["demand-forecast-default-error-rate-green", "demand-forecast-default-latency-p99-green"]


def variant_weights(account) -> dict:
    endpoint = account.session.client("sagemaker").describe_endpoint(EndpointName="demand-forecast-default")
    return {v["VariantName"]: v.get("CurrentWeight") for v in endpoint["ProductionVariants"]}


def test_ab_test_with_quiet_alarms_is_deployed_after_the_bake(live_v1):
    with_variants(live_v1, AB, WATCHED)

    run = live_v1.registry.deploy("v2")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert live_v1.harness.clock.waits_in("Wait variant bake") == [900]
    # only the variant under test's alarms, and only those in ALARM (CloudWatch API reference, DescribeAlarms)
    assert run.parameters("Check variant alarms") == [{"AlarmNames": GREEN_ALARMS, "StateValue": "ALARM"}]
    assert "Stop variants under test" not in run.entered()
    assert (deployment(live_v1)["status"], deployment(live_v1)["version"]) == ("deployed", "v2")
    assert variant_weights(live_v1) == {"blue": 80.0, "green": 20.0}


def test_ab_test_whose_candidate_alarms_takes_its_traffic_away_and_records_the_rollback(live_v1):
    with_variants(live_v1, AB, WATCHED)

    def alarm_fires(execution, state, seconds):
        if state == "Wait variant bake":
            live_v1.session.client("cloudwatch").set_alarm_state(
                AlarmName="demand-forecast-default-error-rate-green", StateValue="ALARM", StateReason="errors in the test")

    live_v1.harness.clock.on_wait = alarm_fires
    run = live_v1.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "DeploymentRolledBack")
    assert run.parameters("Stop variants under test") == [{
        "EndpointName": "demand-forecast-default", "DesiredWeightsAndCapacities": [{"VariantName": "green", "DesiredWeight": 0}]}]
    assert variant_weights(live_v1) == {"blue": 80.0, "green": 0.0}  # blue keeps its weight, now all the traffic
    recorded = deployment(live_v1)
    assert (recorded["status"], recorded["version"], recorded["execution"]) == ("rolled_back", "v2", run.arn)
    notifications = published(live_v1.topic)
    assert [n["subject"].rsplit(": ", 1)[-1] for n in notifications] == ["deployment rolled back"]
    assert [a["AlarmName"] for a in notifications[0]["message"]["state"]["alarms"]["MetricAlarms"]] == [
        "demand-forecast-default-error-rate-green"]
    assert "Record deployed" not in run.entered()


@pytest.mark.parametrize("state, error", [("Check variant alarms", "CloudWatch.CloudWatchException"),
                                          ("Stop variants under test", "SageMaker.ValidationException")])
def test_the_ab_test_watch_failing_fails_the_deployment(live_v1, state, error):
    with_variants(live_v1, AB, WATCHED)
    live_v1.session.client("cloudwatch").set_alarm_state(
        AlarmName="demand-forecast-default-latency-p99-green", StateValue="ALARM", StateReason="slow")
    live_v1.harness.fail_state(state, error)

    run = live_v1.registry.deploy("v2")

    assert (run.status, run.error) == ("FAILED", "DeploymentFailed")
    assert (deployment(live_v1)["status"], deployment(live_v1)["version"]) == ("failed", "v2")
    assert [n["subject"].rsplit(": ", 1)[-1] for n in published(live_v1.topic)] == ["deployment failed"]


# ----------------------------------------------------------------------------- compare and promote

def test_variants_compare_reads_each_variants_metrics_and_promote_moves_all_traffic_to_the_winner(live_v1):
    from compiler.registry import variants

    with_variants(live_v1, AB)
    assert live_v1.registry.deploy("v2").status == "SUCCEEDED"
    cloudwatch = live_v1.session.client("cloudwatch")
    until = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    measured = until - datetime.timedelta(minutes=10)
    for variant, invocations, errors, latency in (("blue", 800, 8, 20000.0), ("green", 200, 0, 12000.0)):
        dimensions = [{"Name": "EndpointName", "Value": "demand-forecast-default"},
                      {"Name": "VariantName", "Value": variant}]
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Timestamp": measured}
            for name, value in (("Invocations", invocations), ("Invocation5XXErrors", errors), ("ModelLatency", latency))])
    registry = live_v1.registry.store

    compared = {row["variant"]: row for row in variants.compare(registry, 1, until)["variants"]}

    assert {name: (row["Invocations"], row["Invocation5XXErrors"], row["Invocation4XXErrors"], row["ModelLatency"],
                   row["error_rate"]) for name, row in compared.items()} == {
        "blue": (800.0, 8.0, None, 20000.0, 0.01), "green": (200.0, 0.0, None, 12000.0, 0.0)}

    shown = invoke("registry", "variants", str(live_v1.out), "--env", "default", "--hours", "1")
    assert shown.exit_code == 0, shown.output
    assert [line.split()[:6] for line in shown.output.splitlines()[2:]] == [
        ["blue", "production", "80", "800", "-", "8"], ["green", "production", "20", "200", "-", "0"]]

    promoted = variants.promote(registry, "blue")  # the live version wins: the approved pointer goes back to it

    assert (promoted["version"], promoted["traffic_moved"]) == ("v1", True)
    weights = {v["VariantName"]: v.get("CurrentWeight") for v in live_v1.session.client("sagemaker").describe_endpoint(
        EndpointName="demand-forecast-default")["ProductionVariants"]}
    assert weights == {"blue": 1.0, "green": 0.0}
    assert registry.pointers()["approved_version"] == "v1"


def test_promote_variant_refuses_a_variant_the_endpoint_does_not_have(live_v1):
    from compiler.errors import Refused
    from compiler.registry import variants

    with_variants(live_v1, AB)
    assert live_v1.registry.deploy("v2").status == "SUCCEEDED"

    with pytest.raises(Refused, match="has no variant 'red'"):
        variants.promote(live_v1.registry.store, "red")


# ----------------------------------------------------------------------------- ending a shadow test

SHADOW = {"shadow": {"sampling_percent": 50}}


def shadow_running(account) -> dict:
    """v2 deployed as the shadow of v1 by the real deploy pipeline; the endpoint's description."""
    with_variants(account, SHADOW)
    run = account.registry.deploy("v2")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    described = account.session.client("sagemaker").describe_endpoint(EndpointName="demand-forecast-default")
    assert [v["VariantName"] for v in described["ShadowProductionVariants"]] == ["Shadow"]
    return described


@pytest.mark.parametrize("winner, version", [("Shadow", "v2"), ("AllTraffic", "v1")])
def test_promote_variant_ends_a_shadow_test_on_the_endpoint_with_the_winners_model(live_v1, winner, version):
    """Developer guide, "Shadow tests", "Complete a shadow test": promoting ends the test with a new
    endpoint config whose production variant serves the winner, and the endpoint updated to it.
    What moto cannot check: SageMaker's in-place update itself (the harness switches the config at once)."""
    sagemaker = live_v1.session.client("sagemaker")
    running = shadow_running(live_v1)
    before = endpoint_config(live_v1, running["EndpointConfigName"])

    shown = invoke("registry", "promote-variant", str(live_v1.out), winner, "--env", "default")

    assert shown.exit_code == 0, shown.output
    endpoint = sagemaker.describe_endpoint(EndpointName="demand-forecast-default")
    new = endpoint["EndpointConfigName"]
    assert new != running["EndpointConfigName"] and new.startswith("demand-forecast-default-promoted-")
    assert f"updated from endpoint config {running['EndpointConfigName']} to {new}" in shown.output
    after = endpoint_config(live_v1, new)
    # one production variant, under the production variant's name and capacity, serving the winner
    assert served_versions(live_v1, after["ProductionVariants"]) == {"AllTraffic": (version, 1.0, 2)}
    assert "ShadowProductionVariants" not in after and "ShadowProductionVariants" not in endpoint
    assert after["DataCaptureConfig"] == before["DataCaptureConfig"]
    assert after.get("KmsKeyId") == before.get("KmsKeyId")
    assert sagemaker.list_tags(ResourceArn=after["EndpointConfigArn"])["Tags"] == \
        sagemaker.list_tags(ResourceArn=before["EndpointConfigArn"])["Tags"]
    assert live_v1.registry.store.pointers()["approved_version"] == version
    assert deployment(live_v1)["live_version"] == version  # what the next deployment's `live` serves


def test_the_deployment_after_a_shadow_test_keeps_production_on_the_live_version(live_v1):
    """A shadow test's candidate (v2) never served production: the next deployment's production
    variant serves `live`, v1, still (before: the last deployment's version, v2, unpromoted)."""
    shadow_running(live_v1)
    live_v1.registry.register("v3", METRICS)

    run = live_v1.registry.deploy("v3")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    config = endpoint_config(live_v1, run.output["deployment"]["endpoint_config"])
    assert served_versions(live_v1, config["ProductionVariants"]) == {"AllTraffic": ("v1", 1.0, 2)}
    assert served_versions(live_v1, config["ShadowProductionVariants"]) == {"Shadow": ("v3", 0.5, 1)}
    assert deployment(live_v1)["live_version"] == "v1"


def test_removing_the_variants_replaces_them_all_at_once_without_guardrails(live_v1):
    """The A/B test ends in mlops.yaml (its variants removed, the sample's canary with alarm rollback
    back): SageMaker's guardrails refuse a new config whose variant names differ from the running
    one's (developer guide, "Deployment guardrails", "Exclusions"; the harness refuses it as
    SageMaker does), so the deployment replaces the variants with a plain UpdateEndpoint; the
    following one, AllTraffic to AllTraffic, has its guardrails again."""
    with_variants(live_v1, AB)
    assert live_v1.registry.deploy("v2").status == "SUCCEEDED"
    write_config(live_v1.root, {})
    apply_again(live_v1, [live_v1.root / MODEL])

    run = live_v1.registry.deploy("v1", rollback=True)

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert "Replace test variants" in run.entered() and "Update endpoint" not in run.entered()
    assert "DeploymentConfig" not in run.parameters("Replace test variants")[0]
    assert list(variant_weights(live_v1)) == ["AllTraffic"]
    again = live_v1.registry.deploy("v2", rollback=True)
    assert again.status == "SUCCEEDED", (again.error, again.cause)
    assert "DeploymentConfig" in again.parameters("Update endpoint")[0]


def test_promote_variant_is_recorded_after_the_deployment_it_ends_whatever_the_local_clock(live_v1, monkeypatch):
    """The promoting machine's clock a second behind the deployment's event time (or in the same
    second) still moves the approved pointer to the winner: the decision is ordered after the
    pointer it read, not after its own clock (before: the write lost silently and the output said
    the winner was recorded)."""
    from compiler.registry import store

    shadow_running(live_v1)
    read = live_v1.registry.store.pointers()["approved_order"].split("#")[0]
    behind = datetime.datetime.strptime(read, "%Y-%m-%dT%H:%M:%SZ") - datetime.timedelta(seconds=1)
    monkeypatch.setattr(store, "now", lambda: behind.strftime("%Y-%m-%dT%H:%M:%S.000000Z"))

    shown = invoke("registry", "promote-variant", str(live_v1.out), "AllTraffic", "--env", "default")

    assert shown.exit_code == 0, shown.output
    pointers = live_v1.registry.store.pointers()
    assert pointers["approved_version"] == "v1"
    assert pointers["approved_order"] > f"{read}#9"  # a later second than the pointer it read


def test_promote_variant_refuses_an_endpoint_that_runs_no_test(live_v1):
    sagemaker = live_v1.session.client("sagemaker")
    serving = sagemaker.describe_endpoint(EndpointName="demand-forecast-default")["EndpointConfigName"]

    shown = invoke("registry", "promote-variant", str(live_v1.out), "AllTraffic", "--env", "default")

    assert shown.exit_code == 1, shown.output
    assert "runs no A/B or shadow test" in shown.output and "Traceback" not in shown.output
    assert sagemaker.describe_endpoint(EndpointName="demand-forecast-default")["EndpointConfigName"] == serving
    assert len(sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 1  # none created


def test_promote_variant_refuses_an_endpoint_that_does_not_exist(live_v1):
    live_v1.session.client("sagemaker").delete_endpoint(EndpointName="demand-forecast-default")

    shown = invoke("registry", "promote-variant", str(live_v1.out), "Shadow", "--env", "default")

    assert shown.exit_code == 1, shown.output
    assert "endpoint demand-forecast-default does not exist" in shown.output and "Traceback" not in shown.output


def test_update_endpoint_refused_leaves_the_shadow_test_running_and_says_so(live_v1):
    """SageMaker refuses UpdateEndpoint while the endpoint is not InService (API reference,
    UpdateEndpoint); moto keeps no such state of its own, so the test puts the endpoint there."""
    running = shadow_running(live_v1)
    live_v1.harness._sagemaker_backend().endpoints["demand-forecast-default"].endpoint_status = "Updating"

    shown = invoke("registry", "promote-variant", str(live_v1.out), "Shadow", "--env", "default")

    assert shown.exit_code == 1, shown.output
    assert "Cannot update in-progress endpoint" in shown.output and "Traceback" not in shown.output
    assert "the endpoint still runs the shadow test" in shown.output
    assert live_v1.session.client("sagemaker").describe_endpoint(
        EndpointName="demand-forecast-default")["EndpointConfigName"] == running["EndpointConfigName"]
    assert live_v1.registry.store.pointers()["approved_version"] == "v2"  # as the deployment left it
