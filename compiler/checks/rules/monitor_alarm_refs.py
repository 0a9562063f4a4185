"""`monitor:<alarm>` in a deployment's traffic.alarms names a health alarm the monitor section
creates, one that can roll a deployment back."""

from compiler.checks.finding import Finding, did_you_mean

RULE = "monitor-alarm-ref"
DESCRIPTION = "`monitor:<alarm>` in traffic.alarms names a health alarm of the monitor section that can roll back"
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
    deploy = context.pipelines.get("deploy")
    if deploy is None:
        return
    monitor = context.config.get("monitor") or {}
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
