"""`mlopsc registry report OUT --env E -o FILE` (issue 20, item 2): one self-contained HTML page of
a registry, checked in a real headless browser.

The registry is samples/demand-forecast's (gate: rmse < 12.5, mape <= 0.18), filled by the
production path only (sfn_harness.Registry): two weekly versions registered by whole retrain runs,
approved and deployed through the deploy-approved rule, a rollback to the first, a weekly run the
gate stops; then a commit tightens the gate to rmse < 11 (applied: its on-commit run measures an
rmse the old gate would have passed, and the new one stops), and a retrain a drift alarm starts
registers a version under the new gate, which stays pending. Every event is handed to the
registry's handler. No test writes an item: each version's gate is the one its run recorded.

The browser (tests/support/report_browser.mjs: playwright-core driving the machine's Chromium,
network cut off) loads the page once; its screenshot is kept in test-artifacts/ (compile_helpers.
artifacts_folder). A missing browser skips locally and fails under CI=true, like the other tools.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

import yaml

from compile_helpers import ReportBrowser, artifacts_folder, invoke, make_repo
from paths import REPO_ROOT
from sfn_harness import Registry, applied, apply_again, execute

pytestmark = pytest.mark.e2e  # moto-backed AWS, whole retrain and deploy runs, a browser

MODEL, ENV = "demand-forecast", "default"
DRIFT_ALARM = "demand-forecast-default-drift-day_of_week"
#: What each run's evaluate stage measured; week-47's fails the gate (rmse 13.4 >= 12.5), the
#: on-commit run's the tightened one (11.4 >= 11).
MEASURED = {"week-45": {"rmse": 11.8, "mape": 0.16}, "week-46": {"rmse": 10.9, "mape": 0.15},
            "week-47": {"rmse": 13.4, "mape": 0.17}, "commit": {"rmse": 11.4, "mape": 0.14},
            "drift-1206": {"rmse": 10.1, "mape": 0.12}}
#: The gate before and after the commit that tightens rmse's threshold.
OLD_GATE = [{"metric": "rmse", "comparison": "below", "threshold": 12.5, "text": "rmse < 12.5"},
            {"metric": "mape", "comparison": "at_most", "threshold": 0.18, "text": "mape <= 0.18"}]
NEW_GATE = [{**OLD_GATE[0], "threshold": 11, "text": "rmse < 11"}, OLD_GATE[1]]
SCREENSHOT = "registry-report.png"


@dataclasses.dataclass
class Reported:
    account: object  # sfn_harness.applied's account, still open
    page: Path  # what `mlopsc registry report` wrote
    said: str  # what it printed
    again: bytes  # a second report of the same registry


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> Reported:
    """The life above, then the report written twice by the command line."""
    from test_full_life import _next_second

    tmp_path = tmp_path_factory.mktemp("report")
    samples = REPO_ROOT / "samples"
    config = yaml.safe_load((samples / MODEL / "mlops.yaml").read_text())
    repository = make_repo(tmp_path / "repositories", MODEL, config, samples / "mlops-platform.yaml")
    with pytest.MonkeyPatch.context() as monkeypatch:
        with applied(monkeypatch, tmp_path, [repository]) as account:
            registry = Registry(account, monkeypatch, MODEL, ENV)
            registry.release("week-45", MEASURED["week-45"])
            registry.release("week-46", MEASURED["week-46"])
            assert registry.deploy("week-45", rollback=True).status == "SUCCEEDED"
            account.harness.stages.metrics = MEASURED["week-47"]
            _next_second()
            assert execute(account.sfn, f"{MODEL}-{ENV}-retrain", "week-47", {"trigger": "schedule"}).status == "FAILED"
            registry.life.deliver()
            gate = config["pipelines"]["retrain"]["stages"]["evaluate"]["gate"]
            assert gate[0] == {"metric": "rmse", "below": 12.5}
            gate[0]["below"] = 11
            make_repo(tmp_path / "repositories", MODEL, config)
            account.harness.stages.metrics = MEASURED["commit"]
            _next_second()
            apply_again(account, [repository])  # its on-commit run ends when apply does
            registry.life.deliver()
            registry.register("drift-1206", MEASURED["drift-1206"], payload={"trigger": "drift", "alarm": DRIFT_ALARM})
            page = tmp_path / "report.html"
            result = invoke("registry", "report", str(account.out), "--env", ENV, "-o", str(page))
            assert result.exit_code == 0, result.output
            again = invoke("registry", "report", str(account.out), "--env", ENV, "-o", str(tmp_path / "again.html"))
            assert again.exit_code == 0, again.output
            yield Reported(account, page, result.output, (tmp_path / "again.html").read_bytes())


@pytest.fixture(scope="module")
def data(reported):
    from compiler.registry import report, store

    return report.collect(store.EnvironmentRegistry.connect(store.locate_one(reported.account.out, ENV, MODEL)))


def test_the_data_is_what_the_runs_recorded(data, reported):
    assert reported.said.startswith(f"wrote {reported.page}: {MODEL} ({ENV}), 3 versions, 3 deployments, 1 drift alarms")
    # The newest version's gate heads the report; the one the older versions passed is kept per version.
    assert data["gate"] == NEW_GATE
    assert data["earlier_gates"] == [{"text": "rmse < 12.5, mape <= 0.18", "versions": ["week-45", "week-46"]}]
    assert data["metrics"] == ["rmse", "mape"]  # the gate's order
    assert [(v["version"], v["approval"], v["live"], v["metrics"], v["gate"]) for v in data["versions"]] == [
        ("week-45", "approved", True, MEASURED["week-45"], OLD_GATE),
        ("week-46", "approved", False, MEASURED["week-46"], OLD_GATE),
        ("drift-1206", "pending", False, MEASURED["drift-1206"], NEW_GATE)]
    assert data["versions"][2]["drift_alarm"] == DRIFT_ALARM
    on_commit = data["retrains"][3]["run_id"]
    assert on_commit.startswith(f"commit-{'b' * 12}-")  # apply's run of the commit that tightened the gate
    assert [(r["run_id"], r["status"], r["version"], r["drift_alarm"], r["error"]) for r in data["retrains"]] == [
        ("week-45", "succeeded", "week-45", None, None), ("week-46", "succeeded", "week-46", None, None),
        ("week-47", "failed", None, None, "GateFailed"), (on_commit, "failed", None, None, "GateFailed"),
        ("drift-1206", "succeeded", "drift-1206", DRIFT_ALARM, None)]
    assert [(d["version"], d["outcome"], d["replaced"], d["rollback"]) for d in data["deployments"]] == [
        ("week-45", "deployed", None, None), ("week-46", "deployed", "week-45", None),
        ("week-45", "deployed", "week-46", "back from week-46")]
    assert [s["version"] for s in data["live_history"]] == ["week-45", "week-46", "week-45"]
    assert [(d["alarm"], d["live_version"]) for d in data["drift_alarms"]] == [(DRIFT_ALARM, "week-45")]


def test_the_page_is_self_contained_and_the_same_for_the_same_registry(reported):
    page = reported.page.read_text(encoding="utf-8")
    assert reported.page.read_bytes() == reported.again, "two reports of one registry differ"
    # Nothing is fetched: no script, stylesheet, image or frame from elsewhere; plotly.js is inline.
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", page, re.I)
    assert "plotly.js v" in page and page.count("Plotly.newPlot(") == 3  # rmse, mape, the timeline


@pytest.fixture(scope="module")
def browser():
    """Checked before the registry is filled: a missing browser costs no runs."""
    ReportBrowser.require()


def test_the_page_renders_in_a_browser_without_errors(browser, reported):
    screenshot = artifacts_folder() / SCREENSHOT
    screenshot.unlink(missing_ok=True)
    seen = ReportBrowser.open(reported.page, screenshot)

    assert (seen["console_errors"], seen["page_errors"], seen["requests"]) == ([], [], [])
    charts = seen["charts"]
    # Three versions, two approved (ringed), one live (starred), and the threshold each one passed:
    # rmse's steps from 12.5 to 11 at drift-1206 (the commit between them), mape's stays.
    gates = {"chart-1": "gate: rmse < 12.5 → rmse < 11", "chart-2": "gate: mape <= 0.18"}
    for chart, metric in (("chart-1", "rmse"), ("chart-2", "mape")):
        assert charts[chart]["title"] == f"{metric} by version"
        assert charts[chart]["traces"] == {gates[chart]: 3, metric: 3, "approved": 2, "live": 1}
        assert (charts[chart]["shapes"], charts[chart]["drawn_shapes"]) == ([], 0)
    timeline = charts["chart-3"]
    assert timeline["traces"] == {"drift alarms": 1, "retrains": 5, "deployments": 3, "rollbacks": 1,
                                  "live version": 3}
    assert timeline["drawn_shapes"] == 2  # the drift alarm's line, across both rows
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000


def test_without_plotly_the_command_says_which_extra_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "plotly", None)  # `import plotly` raises ImportError
    result = invoke("registry", "report", str(tmp_path), "--env", ENV)
    assert result.exit_code == 1, result.output
    assert "registry report needs plotly, which is not installed" in result.output
    assert "pip install 'mlopsc[report]'" in result.output


def test_a_report_into_a_missing_folder_is_refused_before_reading_aws(tmp_path):
    result = invoke("registry", "report", str(tmp_path), "--env", ENV, "-o", str(tmp_path / "no" / "report.html"))
    assert result.exit_code == 2, result.output
    assert "its folder does not exist" in result.output and "Traceback" not in result.output
