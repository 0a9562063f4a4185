"""How long a deployment must watch its rollback alarms, from the effective config (a dict, as the
checks and the model read it): rule rollback-window refuses a shorter wait, rule deploy-traffic
and the model take it as the default `traffic.interval` of canary and linear deployments.

A CloudWatch alarm goes to ALARM only once all of its evaluation periods breach (CloudWatch user
guide, "Evaluating an alarm"); a `monitor:` health alarm has 5-minute periods, so it needs
`monitor.health.evaluation_periods` x 5 minutes: 15 minutes with the default 3 periods.
"""

from __future__ import annotations

from compiler import package_data

HEALTH_PERIOD_MINUTES = 5


def evaluation_periods(config: dict) -> int:
    """monitor.health.evaluation_periods, or its schema default when not written."""
    health = (config.get("monitor") or {}).get("health") or {}
    schema = package_data.schema()["$defs"]["monitor_health"]["properties"]["evaluation_periods"]
    return health.get("evaluation_periods", schema["default"])


def window_minutes(config: dict) -> int:
    """The minutes a health alarm of this config needs at least to go to ALARM."""
    return evaluation_periods(config) * HEALTH_PERIOD_MINUTES


def default_interval(config: dict) -> str:
    """The `traffic.interval` of a canary or linear deployment that does not write one, as a
    duration: the rollback window, long enough for a `monitor:` health alarm to see the new version
    before more traffic moves (user-named alarms are held to the same window: docs/monitoring.md)."""
    return f"{window_minutes(config)}m"
