"""A deployment watches its rollback alarms long enough for them to fire.

A CloudWatch alarm goes to ALARM only once all of its evaluation periods breach: a `monitor:`
health alarm needs `monitor.health.evaluation_periods` x 5 minutes (CloudWatch user guide,
"Evaluating an alarm"). The deploy pipeline reads the rollback alarms after each traffic step
(`interval`) and, all at once, after `bake`; SageMaker's deployment guardrails watch them for the
same waits. A shorter wait promotes a failing version before its alarm could fire. Alarms named
by the user are outside mlopsc's knowledge: docs/monitoring.md (Alarms) says what they must do.
"""

from compiler import durations, rollback
from compiler.checks.finding import Finding
from compiler.checks.rules.monitor_alarm_refs import HEALTH_ALARMS, MONITOR_REFERENCE, ROLLBACK_ALARMS

RULE = "rollback-window"
DESCRIPTION = "A deployment watches its monitor: rollback alarms long enough for them to fire"
TRAFFIC = ("pipelines", "deploy", "traffic")


def check(context):
    deploy = context.pipelines.get("deploy")
    health = (context.config.get("monitor") or {}).get("health")
    if deploy is None or health is None:
        return
    traffic = deploy.get("traffic") or {}
    created = {kind for key, kind in HEALTH_ALARMS.items() if key in health and kind in ROLLBACK_ALARMS}
    watched = [alarm for alarm in traffic.get("alarms", ())  # a reference to no alarm is rule monitor-alarm-ref's
               if alarm.startswith(MONITOR_REFERENCE) and alarm.removeprefix(MONITOR_REFERENCE) in created]
    if not watched:
        return
    periods = rollback.evaluation_periods(context.config)
    minutes = rollback.window_minutes(context.config)
    key = "bake" if traffic.get("mode", "all-at-once") == "all-at-once" else "interval"
    if key not in traffic or durations.seconds(traffic[key]) >= minutes * 60:
        return  # an interval not written defaults to this window (compiler/rollback.py)
    yield Finding(TRAFFIC + (key,),
                  f"{key} {traffic[key]} is shorter than the {minutes} minutes {watched[0]} needs to reach ALARM "
                  f"({periods} periods of 5 minutes): a failing version would be promoted before it could roll back",
                  f"set {key} to at least {minutes}m, or monitor.health.evaluation_periods to at most "
                  f"{durations.seconds(traffic[key]) // (rollback.HEALTH_PERIOD_MINUTES * 60) or 1}", RULE)
