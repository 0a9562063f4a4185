"""Executed in moto (see sfn_harness.py), with configs built here (no sample has them): the
defaults and per-environment switches of config language 1.1. Versions come from whole retrain
runs and approvals through the registry library, as in test_execute_deploy.py."""

from __future__ import annotations

import shutil

import pytest
import yaml

from paths import REPO_ROOT
from sfn_harness import Registry, applied

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
FRAUD_METRICS = {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01}


def sample_copy(tmp_path, sample: str, edit) -> object:
    """samples/<sample> copied under tmp_path (with the samples' platform file), its mlops.yaml
    changed by `edit(config)`."""
    root = tmp_path / "repos"
    shutil.copytree(SAMPLES / sample, root / sample)
    shutil.copyfile(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
    path = root / sample / "mlops.yaml"
    config = yaml.safe_load(path.read_text())
    edit(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return root / sample


def test_a_canary_without_interval_waits_the_rollback_window(monkeypatch, tmp_path):
    """fraud-scoring's canary with no `interval` and health alarms of 2 five-minute periods: the
    deployment waits 10 minutes (2 x 5m, compiler/rollback.py) between the canary step and the rest."""
    def no_interval(config):
        del config["pipelines"]["deploy"]["traffic"]["interval"]
        config["monitor"]["health"]["evaluation_periods"] = 2

    repo = sample_copy(tmp_path, "fraud-lambda", no_interval)
    with applied(monkeypatch, tmp_path, [repo], environment="prod", account="222222222222") as account:
        registry = Registry(account, monkeypatch, "fraud-scoring", "prod")
        for version in ("v1", "v2"):
            registry.register(version, FRAUD_METRICS)
        assert registry.deploy("v1").status == "SUCCEEDED"  # the first: no alias to shift from
        account.harness.clock.waits.clear()
        second = registry.deploy("v2")
        assert second.status == "SUCCEEDED", (second.error, second.cause)
        assert account.harness.clock.waits_in("Wait traffic interval") == [600]


# ----------------------------------------------------------------------------- deploy-only prod

FORECAST_METRICS = {"rmse": 11.0, "mape": 0.1}  # within demand-forecast's gate


def deploy_only_prod(config):
    """staging retrains, deploys and scores; prod only deploys what staging approved (and scores)."""
    config["environments"] = {"staging": {}, "prod": {"pipelines": {"retrain": {"enabled": False}},
                                                      "monitor": {"drift": {"retrain": False}}}}


def test_prod_deploys_only_what_staging_approved(monkeypatch, tmp_path):
    """The deploy-only prod of docs/config.md ("Pipelines per environment"), end to end: staging
    retrains v1 and deploys it on approval; `registry promote` copies it to prod (the registry
    library, as `mlopsc registry promote OUT v1 --from staging --env prod`), whose ModelApproved
    event starts prod's deploy pipeline, which serves v1's model. prod has no retrain state machine
    and no retrain rule."""
    from compiler.registry import store
    from sfn_harness import item

    repo = sample_copy(tmp_path, "demand-forecast", deploy_only_prod)
    with applied(monkeypatch, tmp_path, [repo], environment="staging") as account:
        from sfn_harness import apply_again

        apply_again(account, [repo], environment="prod")
        machines = sorted(m["name"] for m in account.sfn.list_state_machines()["stateMachines"])
        assert [m for m in machines if m.startswith("demand-forecast-prod-")] == [
            "demand-forecast-prod-batch", "demand-forecast-prod-deploy"]
        assert "demand-forecast-staging-retrain" in machines
        rules = [r["Name"] for bus in ("default", "mlops")
                 for r in account.session.client("events").list_rules(EventBusName=bus)["Rules"]]
        assert not [r for r in rules if r.startswith("demand-forecast-prod-retrain")]

        staging = Registry(account, monkeypatch, "demand-forecast", "staging")
        staging.register("v1", FORECAST_METRICS)
        deployed = staging.deploy("v1")
        assert deployed.status == "SUCCEEDED", (deployed.error, deployed.cause)

        prod = store.EnvironmentRegistry.connect(store.locate_one(account.out, "prod", "demand-forecast"))
        run = staging.finished(staging._started(lambda: prod.promote("v1", staging.store)))

        assert run.status == "SUCCEEDED", (run.error, run.cause)
        assert run.arn.split(":")[-2] == "demand-forecast-prod-deploy"
        promoted = item(account.session, ("MODEL#demand-forecast", "VERSION#prod#v1"))
        assert promoted["promoted_from"] == "staging"
        sagemaker = account.session.client("sagemaker")
        model = sagemaker.describe_model(ModelName=run.output["deployment"]["model"])
        assert model["PrimaryContainer"]["ModelDataUrl"] == promoted["model_data"]
        assert promoted["model_data"].startswith("s3://acme-ml-artifacts/demand-forecast/staging/retrain/v1/")
        endpoint = sagemaker.describe_endpoint(EndpointName="demand-forecast-prod")
        assert endpoint["EndpointStatus"] == "InService"
        recorded = item(account.session, ("MODEL#demand-forecast", "DEPLOYMENT#prod"))
        assert (recorded["status"], recorded["version"]) == ("deployed", "v1")

        # A version retrained on drift in staging, promoted: its lineage in prod goes on in staging,
        # where its parent was registered (`mlopsc registry lineage`).
        staging.register("v2", FORECAST_METRICS, {"trigger": "drift", "alarm": "demand-forecast-staging-drift-lag_7"})
        assert staging.deploy("v2").status == "SUCCEEDED"
        staging.finished(staging._started(lambda: prod.promote("v2", staging.store)))
        chain = prod.lineage("v2")["chain"]
    assert [(step["version"], step["environment"], step.get("promoted_from"), step.get("parent_version"))
            for step in chain] == [("v2", "prod", "staging", "v1"), ("v1", "staging", None, None)]


def test_apply_removes_what_a_switched_off_pipeline_had(monkeypatch, tmp_path):
    """prod first applied with everything on, then with retrain, deploy and the monitor switched
    off: apply deletes their state machines, their trigger rules and the monitor's alarms and
    dashboard (what an earlier apply created), and keeps batch."""
    from sfn_harness import apply_again

    repo = sample_copy(tmp_path, "demand-forecast", lambda config: config.update(environments={"prod": {}}))
    with applied(monkeypatch, tmp_path, [repo], environment="prod") as account:
        events, cloudwatch = account.session.client("events"), account.session.client("cloudwatch")

        def ours() -> dict:
            rules = sorted(r["Name"] for bus in ("default", "mlops") for r in events.list_rules(EventBusName=bus)["Rules"]
                           if r["Name"].startswith("demand-forecast-prod-"))
            return {"machines": sorted(m["name"] for m in account.sfn.list_state_machines()["stateMachines"]),
                    "rules": rules,
                    "alarms": sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]),
                    "dashboards": [d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]]}

        before = ours()
        assert {"demand-forecast-prod-retrain", "demand-forecast-prod-deploy"} <= set(before["machines"])
        assert before["alarms"] and before["dashboards"]
        assert any("-retrain-" in rule for rule in before["rules"]) and any("-deploy-" in rule for rule in before["rules"])

        def batch_only(config):
            config["environments"] = {"prod": {"pipelines": {"retrain": {"enabled": False}, "deploy": {"enabled": False}},
                                               "monitor": {"enabled": False}}}

        sample_copy(tmp_path / "later", "demand-forecast", batch_only)
        apply_again(account, [tmp_path / "later" / "repos" / "demand-forecast"], environment="prod")

        after = ours()
        assert after["machines"] == ["demand-forecast-prod-batch"]
        assert [rule for rule in after["rules"] if "-retrain-" in rule or "-deploy-" in rule or "-drift-" in rule] == []
        assert after["alarms"] == [] and after["dashboards"] == []


def test_a_batch_only_prod_scores_with_the_version_promoted_to_it(monkeypatch, tmp_path):
    """churn-fargate (retrain with auto approval, batch, no deploy) with retrain switched off in
    prod: a version reaches prod by `registry promote`, which, as approve does without a deploy
    pipeline, releases it to batch (moves the approved pointer); prod's batch scores with its model."""
    from compiler.registry import store
    from sfn_harness import apply_again, execute, item

    def batch_only_prod(config):
        config["environments"] = {"staging": {}, "prod": {"pipelines": {"retrain": {"enabled": False}}}}

    repo = sample_copy(tmp_path, "churn-fargate", batch_only_prod)
    with applied(monkeypatch, tmp_path, [repo], environment="staging") as account:
        apply_again(account, [repo], environment="prod")
        staging = Registry(account, monkeypatch, "churn-fargate", "staging")
        staging.register("v1", {"auc": 0.91, "logloss": 0.3})  # auto-approved: released in staging
        prod = store.EnvironmentRegistry.connect(store.locate_one(account.out, "prod", "churn-fargate"))

        prod.promote("v1", staging.store)
        staging.life.deliver()

        promoted = item(account.session, ("MODEL#churn-fargate", "VERSION#prod#v1"))
        pointers = item(account.session, ("MODEL#churn-fargate", "POINTERS#prod"))
        assert (pointers["approved_version"], pointers["approved_model_data"]) == ("v1", promoted["model_data"])
        run = execute(account.sfn, "churn-fargate-prod-batch", "nightly-1", timeout=120)
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        [task] = account.harness.stages.of("batch")
        assert task.environment["MLOPS_MODEL_URI"] == promoted["model_data"]
        assert task.environment["MLOPS_MODEL_URI"].startswith("s3://acme-ml-artifacts/churn-fargate/staging/retrain/v1/")
