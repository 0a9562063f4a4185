"""Daily drift runs fit the window over which CloudWatch evaluates an alarm: for periods of an
hour or more, at most 7 days (CloudWatch user guide, "Evaluating an alarm")."""

from compiler import package_data
from compiler.checks.finding import Finding

RULE = "monitor-drift-window"
DESCRIPTION = "A daily drift alarm evaluates at most 7 runs: CloudWatch's alarm window is 7 days"
#: CloudWatch evaluates an alarm over at most 7 days for periods of an hour or more: 7 daily runs.
MAX_DAILY_EVALUATION_PERIODS = 7


def check(context):
    drift = (context.config.get("monitor") or {}).get("drift")
    # Without a deploy pipeline there is no drift alarm at all (rule monitor-needs says so).
    if drift is None or context.pipelines.get("deploy") is None:
        return
    periods = drift.get("evaluation_periods", _default("evaluation_periods"))
    if drift.get("schedule", _default("schedule")) == "daily" and periods > MAX_DAILY_EVALUATION_PERIODS:
        yield Finding(("monitor", "drift", "evaluation_periods"),
                      f"{drift['evaluation_periods']} daily drift runs exceed CloudWatch's 7-day alarm window",
                      f"use at most {MAX_DAILY_EVALUATION_PERIODS} with a daily schedule, or schedule: hourly", RULE)


def _default(key: str):
    return package_data.schema()["$defs"]["monitor_drift"]["properties"][key]["default"]
