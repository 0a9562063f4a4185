"""What the deploy targets share: the serving code's monitor environment, the traffic steps and
the alarms that roll a deployment back."""

from __future__ import annotations

from compiler.render import alarms
from compiler.render.naming import Naming


def serving_monitor_environment(naming: Naming, metrics: bool) -> dict:
    """What serving code of our own needs for the monitor: where and how much of its traffic to
    capture, and (ecs-service) the namespace of the request metrics it publishes."""
    monitor = naming.config.monitor
    if monitor is None:
        return {}
    environment = {"MLOPS_CAPTURE_URI": naming.capture_uri, "MLOPS_CAPTURE_PERCENT": str(monitor.sampling_percent)}
    if metrics:
        environment["MLOPS_METRICS_NAMESPACE"] = naming.metrics_namespace
    return environment


def traffic_weights(traffic) -> list:
    """Shares of traffic on the new version before it takes all of it: [] all at once,
    [p] for a canary, [p, 2p, ...] below 100 for linear."""
    if traffic.mode == "canary":
        return [traffic.percent / 100]
    if traffic.mode == "linear":
        return [step / 100 for step in range(traffic.percent, 100, traffic.percent)]
    return []


def rollback_alarms(naming: Naming) -> tuple[list, list]:
    """(the names of the alarms that roll a deployment back, the PutMetricAlarm arguments of those
    the pipeline puts for the version it deploys): a `monitor:<alarm>` is replaced by its
    `rollback-<alarm>` twin on the new version's metrics (render/alarms.py `rollback_alarms`)."""
    twins = alarms.rollback_alarms(naming)
    names_ = [twins[alarm]["AlarmName"] if alarm in twins else alarm for alarm in naming.config.deploy.traffic.alarms]
    return names_, [twins[alarm] for alarm in naming.config.deploy.traffic.alarms if alarm in twins]


def watch_states(puts: list, then: str) -> list:
    """One PutMetricAlarm state per rollback alarm of the new version, chained, then `then`."""
    states = [{"name": f"Watch new version: {put['AlarmName']}", "parameters": put} for put in puts]
    for state, following in zip(states, states[1:] + [{"name": then}]):
        state["next"] = following["name"]
    return states


def alarm_check(names_: list) -> dict | None:
    if not names_:
        return None
    return {"AlarmNames": list(names_), "StateValue": "ALARM"}
