"""Trigger schedules are valid EventBridge rate(...) or cron(...) expressions."""

from compiler.checks import schedule_expressions as schedule
from compiler.checks.finding import Finding

RULE = "schedule"
DESCRIPTION = "Trigger schedules are valid EventBridge rate(...) or cron(...) expressions"
HINT = "e.g. rate(1 day), rate(6 hours) or cron(0 3 * * ? *) (six fields, times in UTC)"


def check(context):
    pipelines = context.pipelines
    places = [(("pipelines", "retrain", "triggers", "schedule"), ((pipelines.get("retrain") or {}).get("triggers") or {}).get("schedule")),
              (("pipelines", "batch", "schedule"), (pipelines.get("batch") or {}).get("schedule"))]
    for path, expression in places:
        if expression is not None:
            for message in schedule.problems(expression):
                yield Finding(path, message, HINT, RULE)
