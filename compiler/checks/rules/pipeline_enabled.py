"""Pipelines switched off in an environment (`enabled: false`, docs/config.md "Pipelines per
environment") leave something on: every environment keeps at least one pipeline, and nothing still
switched on there relies on one that is off. A switched-off pipeline's own settings are checked by
the other rules as usual (they are the same config in the other environments)."""

from compiler import switches
from compiler.checks.finding import Finding
from compiler.checks.rules.monitor_alarm_refs import MONITOR_REFERENCE

RULE = "pipeline-enabled"
DESCRIPTION = "Every environment keeps a pipeline switched on, and nothing switched on relies on one switched off"


def check(context):
    disabled = switches.disabled_pipelines(context.config)
    monitor_off = "monitor" in context.config and not switches.monitor_on(context.config)
    if not disabled and not monitor_off:
        return
    where = f"environment {context.environment}"
    if disabled and not switches.enabled_pipelines(context.config):
        yield Finding(("pipelines", disabled[0], "enabled"), f"every pipeline is switched off in {where}: "
                      "nothing would be compiled there",
                      "keep one pipeline on (enabled: true), or remove the environment", RULE)
        return
    yield from _monitor(context, disabled, where)
    yield from _rollback_alarms(context, where)


def _monitor(context, disabled: tuple, where: str):
    """The monitor section watches the deployed model and may start retraining."""
    monitor = context.config.get("monitor")
    if not switches.monitor_on(context.config):
        return
    if "deploy" in disabled:
        yield Finding(("pipelines", "deploy", "enabled"), f"deploy is switched off in {where}, and `monitor` "
                      "watches the deployed model", f"switch the monitor off there too: environments."
                      f"{context.environment}.monitor.enabled: false", RULE)
        return
    drift = monitor.get("drift") or {}
    if "retrain" in disabled and drift.get("retrain") is True:
        yield Finding(("monitor", "drift", "retrain"), f"a drift alarm would start the retrain pipeline, which is "
                      f"switched off in {where}", f"set monitor.drift.retrain: false in environments."
                      f"{context.environment}", RULE)


def _rollback_alarms(context, where: str):
    """A deployment rolls back on `monitor:` alarms only where the monitor section creates them."""
    deploy = context.pipelines.get("deploy")
    if "monitor" not in context.config or switches.monitor_on(context.config) or not switches.is_on(deploy):
        return
    for index, alarm in enumerate((deploy.get("traffic") or {}).get("alarms", ())):
        if alarm.startswith(MONITOR_REFERENCE):
            yield Finding(("pipelines", "deploy", "traffic", "alarms", index),
                          f"'{alarm}' is an alarm of the monitor section, which is switched off in {where}: "
                          "the deployment could never roll back on it",
                          "keep monitor.enabled: true here, or roll back on another alarm in this "
                          "environment's overlay", RULE)
