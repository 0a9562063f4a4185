"""The monitor section has what it watches: a deployed model, the retrain pipeline that computes
its baseline, a baseline to measure drift against, and a drift job where Model Monitor cannot run."""

from compiler.checks.finding import Finding
from compiler.model import MODEL_MONITOR_TARGET

RULE = "monitor-needs"
DESCRIPTION = "`monitor` has a deploy pipeline to watch, a retrain pipeline for its baseline, " \
              "a baseline for drift, and a drift job where Model Monitor cannot run"
BASE = ("monitor",)


def check(context):
    monitor = context.config.get("monitor")
    if monitor is None:
        return
    deploy = context.pipelines.get("deploy")
    if deploy is None:
        yield Finding(BASE, "`monitor` watches the deployed model, and there is no deploy pipeline",
                      "add pipelines.deploy, or remove `monitor`", RULE, at_key=True)
        return
    if "baseline" in monitor and "retrain" not in context.pipelines:
        yield Finding(BASE + ("baseline",), "the baseline is computed by the retrain pipeline, and there is none",
                      "add pipelines.retrain, or remove monitor.baseline", RULE, at_key=True)
    drift = monitor.get("drift")
    if drift is None:
        return
    if "baseline" not in monitor:
        yield Finding(BASE + ("drift",), "drift is measured against a baseline, and monitor.baseline is not set",
                      "add monitor.baseline: the retrain stage that writes statistics.json and constraints.json",
                      RULE, at_key=True)
    target = deploy["target"]
    if target != MODEL_MONITOR_TARGET and "job" not in drift:
        yield Finding(BASE + ("drift", "job"), f"a {target} target needs its own drift job",
                      "add monitor.drift.job: {runtime: ..., command: [...]} (docs/monitoring.md)",
                      RULE, at_key=True, anchor=BASE + ("drift",))
