"""The monitor section watches a deployed model: what it needs from the pipelines, which drift
job each deploy target takes, and monitor alarms that traffic.alarms may name."""

from compiler import package_data
from compiler.aws_data import model_monitor
from compiler.checks.finding import Finding, did_you_mean
from compiler.model import MODEL_MONITOR_TARGET, model_monitor_measures_drift

RULE = "monitor"
BASE = ("monitor",)
#: CloudWatch evaluates an alarm over at most 7 days for periods of an hour or more: 7 daily runs.
MAX_DAILY_EVALUATION_PERIODS = 7
HEALTH_ALARMS = {"max_error_rate": "error-rate", "max_latency_p99_ms": "latency-p99",
                 "min_invocations_per_hour": "no-invocations"}
MONITOR_REFERENCE = "monitor:"
#: Monitor alarms a deployment may roll back on: they watch the new version's own requests.
ROLLBACK_ALARMS = ("error-rate", "latency-p99")
_NOT_FOR_ROLLBACK = {
    "no-invocations": "it counts missing data as breaching, so it is in ALARM on a new or idle endpoint",
    "drift": "a drift alarm is still in ALARM when the retrained version it started deploys",
}


def check(context):
    monitor = context.config.get("monitor")
    deploy = context.pipelines.get("deploy")
    if monitor is not None:
        yield from _needs(monitor, deploy, "retrain" in context.pipelines)
        yield from _analyzer_region(monitor, deploy, context.platform.get("region"))
    if deploy is not None:
        yield from _alarm_references(deploy, monitor or {})


def _needs(monitor: dict, deploy, has_retrain: bool):
    if deploy is None:
        yield Finding(BASE, "`monitor` watches the deployed model, and there is no deploy pipeline",
                      "add pipelines.deploy, or remove `monitor`", RULE, at_key=True)
        return
    if "baseline" in monitor and not has_retrain:
        yield Finding(BASE + ("baseline",), "the baseline is computed by the retrain pipeline, and there is none",
                      "add pipelines.retrain, or remove monitor.baseline", RULE, at_key=True)
    drift = monitor.get("drift")
    if drift is None:
        return
    if "baseline" not in monitor:
        yield Finding(BASE + ("drift",), "drift is measured against a baseline, and monitor.baseline is not set",
                      "add monitor.baseline: the retrain stage that writes statistics.json and constraints.json",
                      RULE, at_key=True)
    periods = drift.get("evaluation_periods", _default("evaluation_periods"))
    if drift.get("schedule", _default("schedule")) == "daily" and periods > MAX_DAILY_EVALUATION_PERIODS:
        yield Finding(BASE + ("drift", "evaluation_periods"),
                      f"{drift['evaluation_periods']} daily drift runs exceed CloudWatch's 7-day alarm window",
                      f"use at most {MAX_DAILY_EVALUATION_PERIODS} with a daily schedule, or schedule: hourly", RULE)
    target = deploy["target"]
    if target != MODEL_MONITOR_TARGET and "job" not in drift:
        yield Finding(BASE + ("drift", "job"), f"a {target} target needs its own drift job",
                      "add monitor.drift.job: {runtime: ..., command: [...]} (README, \"Monitoring\")",
                      RULE, at_key=True, anchor=BASE + ("drift",))


def _analyzer_region(monitor: dict, deploy, region):
    """Model Monitor's analyzer image is AWS's, per region; a region without one cannot monitor drift
    with it (a drift job of the model's own can)."""
    drift = monitor.get("drift")
    if drift is not None and model_monitor_measures_drift((deploy or {}).get("target"), "job" in drift) and region \
            and not model_monitor.has_analyzer(region):
        yield Finding(("monitor", "drift"), f"SageMaker Model Monitor's analyzer image is not listed for {region}",
                      f"add monitor.drift.job, or see {model_monitor.SOURCE}; the regions listed: "
                      f"{', '.join(sorted(model_monitor.ANALYZER_ACCOUNTS))}",
                      RULE, at_key=True)


def _alarm_references(deploy: dict, monitor: dict):
    """`monitor:<alarm>` in traffic.alarms must name a health alarm the monitor section creates."""
    available = [kind for kind in monitor_alarms(monitor) if kind in ROLLBACK_ALARMS]
    for index, alarm in enumerate((deploy.get("traffic") or {}).get("alarms", ())):
        kind = alarm.removeprefix(MONITOR_REFERENCE)
        if not alarm.startswith(MONITOR_REFERENCE) or kind in available:
            continue
        path = ("pipelines", "deploy", "traffic", "alarms", index)
        why = _NOT_FOR_ROLLBACK.get("drift" if kind.startswith("drift-") else kind)
        if why:
            yield Finding(path, f"'{alarm}' cannot roll a deployment back: {why}",
                          "roll back on monitor:error-rate or monitor:latency-p99", RULE)
            continue
        choices = [MONITOR_REFERENCE + name for name in available]
        hint = did_you_mean(alarm, choices) or (
            f"the monitor section creates: {', '.join(choices)}" if choices
            else "set monitor.health.max_error_rate or max_latency_p99_ms to create a health alarm")
        yield Finding(path, f"'{alarm}' names no alarm of the monitor section", hint, RULE)


def monitor_alarms(monitor: dict) -> list:
    """The kinds of alarm the monitor section creates, e.g. `error-rate`, `drift-price`."""
    health = monitor.get("health") or {}
    kinds = [kind for key, kind in HEALTH_ALARMS.items() if key in health]
    kinds += [f"drift-{feature}" for feature in sorted((monitor.get("drift") or {}).get("features", {}))]
    return kinds


def _default(key: str):
    return package_data.schema()["$defs"]["monitor_drift"]["properties"][key]["default"]
