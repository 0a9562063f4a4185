"""`mlopsc registry compare`, `registry lineage` and `registry history`'s sparkline (issue 20, items
1 and 3) on what real runs registered: samples/demand-forecast with `tune.warm_start`, applied in
moto, retrained, approved with a reason and deployed, applied again from a later commit with new
images, retrained on new data (warm-started from the approved version) and on a drift alarm.

Registry items come from the production path only (sfn_harness.Registry): versions from whole
retrain runs, approvals through the registry library, every event fed to the registry's handler.
One account is built once for the module (the steps take about 30 s); the tests only read it."""

from __future__ import annotations

import contextlib
import json

import pytest
import yaml

from compile_helpers import invoke, make_repo
from paths import REPO_ROOT
from sfn_harness import Registry, applied, apply_again

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
MODEL, ENV = "demand-forecast", "default"
ALARM = "demand-forecast-default-drift-lag_7"
MARKER = "s3://acme-ml-data/demand-forecast/sales/2026-12-01/_SUCCESS"
FIRST_TUNED = {"eta": "0.1", "max_depth": "6", "booster": "gbtree"}
LATER_TUNED = {"eta": "0.05", "max_depth": "7", "booster": "gbtree"}


@pytest.fixture(scope="module")
def life(tmp_path_factory):
    """v1 (schedule), approved 'first model' and deployed; a commit bbbb... with new images applied
    (its on-commit run registers a version too); v2 (new data, warm-started from v1), approved
    'lower rmse' and deployed; v3 (a drift alarm while v2 served). Yields (out, registry, runs)."""
    patch = pytest.MonkeyPatch()
    tmp_path = tmp_path_factory.mktemp("compare")
    config = yaml.safe_load((SAMPLES / MODEL / "mlops.yaml").read_text())
    config["pipelines"]["retrain"]["stages"]["tune"]["warm_start"] = {"type": "transfer_learning"}
    repository = make_repo(tmp_path / "repositories", MODEL, config, SAMPLES / "mlops-platform.yaml")
    with contextlib.ExitStack() as stack:
        stack.callback(patch.undo)
        account = stack.enter_context(applied(patch, tmp_path, [repository]))
        registry = Registry(account, patch, MODEL)
        stages = account.harness.stages
        stages.tuned = dict(FIRST_TUNED)
        runs = {"v1": registry.register("v1", {"rmse": 11.0, "mape": 0.1})}
        assert registry.deploy("v1", reason="first model").status == "SUCCEEDED"
        apply_again(account, [repository], digest="2" * 64, commit="b" * 40)
        registry.life.deliver()  # the on-commit run apply started
        stages.tuned = dict(LATER_TUNED)
        bucket, key = MARKER.removeprefix("s3://").split("/", 1)
        runs["v2"] = registry.register("v2", {"rmse": 10.0, "mape": 0.12},
                                       {"trigger": "new_data", "bucket": bucket, "key": key})
        assert registry.deploy("v2", reason="lower rmse").status == "SUCCEEDED"
        runs["v3"] = registry.register("v3", {"rmse": 10.5, "mape": 0.11}, {"trigger": "drift", "alarm": ALARM})
        yield str(account.out), registry, runs


def cli(*args: str, code: int = 0):
    result = invoke("registry", *args)
    assert result.exit_code == code, result.output
    return result.output


def test_compare_puts_metrics_images_code_data_hyperparameters_and_decisions_side_by_side(life):
    out, _registry, runs = life
    result = json.loads(cli("compare", out, "v1", "v2", "--env", ENV, "--format", "json"))

    assert result["versions"] == ["v1", "v2"]
    metrics = {row["metric"]: row for row in result["metrics"]}
    assert [row["metric"] for row in result["metrics"]] == ["rmse", "mape"]  # the gate's order
    assert metrics["rmse"] == {"metric": "rmse", "values": [11.0, 10.0], "better": "lower", "gate": ["< 12.5", "< 12.5"],
                               "changes": [None, {"absolute": -1.0, "percent": -9.09091}]}
    assert metrics["mape"]["gate"] == ["<= 0.18", "<= 0.18"] and metrics["mape"]["changes"][1]["absolute"] == 0.02
    # v2 was trained from the later commit's images: every digest changed, and the code range is git's.
    assert {row["runtime"]: row["changed"] for row in result["images"]} == {"prep": True, "serve": True, "xgb": True}
    assert all(row["values"][1].endswith("@sha256:" + "2" * 64) for row in result["images"])
    assert result["code"] == {"commits": ["a" * 40, "b" * 40], "range": f"{'a' * 40}..{'b' * 40}", "changed": True}
    assert result["config_fingerprint"]["changed"] is True
    assert result["data"] == {"sources": {"values": ["s3://acme-ml-data/demand-forecast/sales/"] * 2, "changed": False},
                              "markers": {"values": [None, MARKER], "changed": True}}
    hyperparameters = {row["name"]: row for row in result["hyperparameters"]}
    assert hyperparameters["eta"] == {"name": "eta", "values": ["0.1", "0.05"], "tuned": [True, True], "changed": True}
    assert hyperparameters["booster"]["changed"] is False
    assert hyperparameters["num_round"] == {"name": "num_round", "values": ["200", "200"], "tuned": [False, False],
                                            "changed": False}
    assert result["baseline"]["values"] == [f"s3://acme-ml-artifacts/{MODEL}/{ENV}/retrain/{v}/baseline/"
                                            for v in ("v1", "v2")]
    decisions = {d["version"]: d for d in result["decisions"]}
    assert (decisions["v1"]["approval"], decisions["v1"]["reason"], decisions["v2"]["reason"]) == (
        "approved", "first model", "lower rmse")
    assert decisions["v1"]["by"].startswith("arn:aws:") and decisions["v2"]["deployment"] == "deployed"
    assert [(entry["trigger"], entry.get("parent_version")) for entry in result["lineage"]] == [
        ("schedule", None), ("new_data", "v1")]


def test_compare_as_markdown_and_text(life):
    out, _registry, _runs = life
    markdown = cli("compare", out, "v1", "v2", "--env", ENV, "--format", "markdown")
    assert markdown.startswith(f"### {MODEL} ({ENV}): `v1` → `v2`\n")
    assert "| metric | v1 | v2 | gate |\n|---|---|---|---|\n| rmse | 11 | 10 (-1, -9.1%) | < 12.5 |\n" in markdown
    assert "| xgb | xgb@sha256:111111111111 | xgb@sha256:222222222222 | changed |" in markdown
    assert "| eta | 0.1 (tuned) | 0.05 (tuned) | changed |" in markdown
    assert "| v1 | approved | arn:aws:" in markdown and "| first model | deployed |" in markdown
    text = cli("compare", out, "v1", "v2", "v3", "--env", ENV)
    assert text.splitlines()[0] == f"{MODEL} ({ENV}): v1 -> v2 -> v3"
    assert f" {'a' * 12}..{'b' * 12}\n" in text
    [rmse] = [line for line in text.splitlines() if line.strip().startswith("rmse")]
    assert rmse.split() == ["rmse", "11", "10", "(-1,", "-9.1%)", "10.5", "(-0.5,", "-4.5%)", "<", "12.5"]


def test_compare_refuses_one_version_and_names_an_unknown_one(life):
    out, _registry, _runs = life
    assert "two or more different versions" in cli("compare", out, "v1", "--env", ENV, code=2)
    assert "no version 'v9'" in cli("compare", out, "v1", "v9", "--env", ENV, code=1)


def test_lineage_prints_the_chain_of_parents(life):
    out, registry, runs = life
    result = json.loads(cli("lineage", out, "v3", "--env", ENV, "--format", "json"))
    chain = result["chain"]
    assert [step["version"] for step in chain] == ["v3", "v2", "v1"] and result["end"] is None
    # v3 was retrained on drift while v2 served, and its tuning job warm-started from v2's (both name v2).
    assert (chain[0]["trigger"], chain[0]["drift_alarm"], chain[0]["parent_version"],
            chain[0]["parent_relation"]) == ("drift", ALARM, "v2", "warm_start")
    assert (chain[1]["trigger"], chain[1]["data_marker"], chain[1]["parent_version"], chain[1]["parent_relation"]) == (
        "new_data", MARKER, "v1", "warm_start")
    assert chain[1]["parent_tuning_job"] == registry.store.version("v1")["tuning_job"]
    assert "parent_version" not in chain[2] and chain[2]["trigger"] == "schedule"
    assert [step["execution"] for step in chain] == [runs[v].arn for v in ("v3", "v2", "v1")]
    assert chain[1]["code_commit"] == "b" * 40 and chain[2]["code_commit"] == "a" * 40
    assert chain[1]["config_fingerprint"] != chain[2]["config_fingerprint"]
    assert chain[1]["images"]["xgb"].endswith("@sha256:" + "2" * 64)

    text = cli("lineage", out, "v3", "--env", ENV)
    lines = text.splitlines()
    assert lines[0] == f"{MODEL} ({ENV}): lineage of v3, newest first"
    assert [line.split()[0] for line in lines if line.startswith("  v")] == ["v3", "v2", "v1"]
    assert f"      data:          s3://acme-ml-data/demand-forecast/sales/ (marker {MARKER})" in lines
    assert any(line.startswith("    ^ warm-started from the tuning job of v1 (") for line in lines)
    assert any(line.startswith("    ^ retrained on drift; warm-started from the tuning job of v2 (") for line in lines)


def test_history_draws_the_main_metric_over_the_versions(life):
    out, registry, _runs = life
    history = json.loads(cli("history", out, "--env", ENV, "--format", "json"))
    trend = history["main_metric"]
    points = [(p["version"], p["value"]) for p in trend["points"]]
    # oldest first: v1, the on-commit run's version (registered with v1's metrics), v2, v3
    assert [p for p in points if p[0] in ("v1", "v2", "v3")] == [("v1", 11.0), ("v2", 10.0), ("v3", 10.5)]
    assert len(points) == 4 and points[1] == (points[1][0], 11.0) and points[1][0].startswith("commit-bbbbbbbbbbbb-")
    assert registry.store.version(points[1][0])["lineage"]["trigger"] == "commit"  # apply's on-commit run
    assert (trend["metric"], trend["gate"], trend["better"], trend["sparkline"]) == ("rmse", "< 12.5", "lower", "██▁▅")
    text = cli("history", out, "--env", ENV)
    assert text.splitlines()[1] == "  rmse (gate < 12.5, lower is better) over the last 4 versions: ██▁▅  11 -> 10.5"


def test_show_says_how_the_version_came_to_be_and_what_it_ran_with(life):
    out, _registry, _runs = life
    lines = cli("show", out, "v2", "--env", ENV).splitlines()
    assert f"  lineage:       trigger new_data, parent v1 (warm_start), data marker {MARKER}" in lines
    assert [line.split() for line in lines[lines.index("  hyper-parameters:") + 1:][:6]] == [
        ["NAME", "VALUE"], ["booster", "gbtree", "tuned"], ["eta", "0.05", "tuned"], ["max_depth", "7", "tuned"],
        ["num_round", "200"], ["objective", "reg:squarederror"]]
