"""Traffic shifting that can roll back: canary and linear steps that add up, alarms to roll back
on, and waits that SageMaker's deployment guardrails allow."""

from compiler import durations, rollback
from compiler.checks.finding import Finding

RULE = "deploy-traffic"
DESCRIPTION = "Canary and linear traffic has its percent, alarms to roll back on, " \
              "steps that add up to 100%, and waits SageMaker allows"
TRAFFIC = ("pipelines", "deploy", "traffic")
# SageMaker deployment guardrails: wait interval and termination wait are capped at one hour.
SAGEMAKER_MAX_WAIT = 3600


def check(context):
    deploy = context.pipelines.get("deploy")
    if deploy is None:
        return
    traffic = deploy.get("traffic") or {}
    mode = traffic.get("mode", "all-at-once")
    if mode == "all-at-once":
        # percent and interval are ignored here, so that an overlay can switch a canary to
        # all-at-once (overlays cannot delete keys).
        return
    interval = traffic.get("interval", rollback.default_interval(context.config))
    if "percent" not in traffic:
        yield Finding(TRAFFIC + ("percent",), f"{mode} traffic needs `percent`",
                      f"e.g. {{mode: {mode}, percent: 10, alarms: [...]}}; `interval` may be left out: it defaults "
                      f"to {interval}, the time the rollback alarms need to see the new version "
                      f"(monitor.health.evaluation_periods x 5 minutes)", RULE, at_key=True, anchor=TRAFFIC)
    if not traffic.get("alarms"):
        yield Finding(TRAFFIC + ("mode",), f"{mode} traffic without `alarms` can never roll back",
                      "name the CloudWatch alarms that roll the deployment back", RULE)
    if mode == "linear" and "percent" in traffic and 100 % traffic["percent"]:
        yield Finding(TRAFFIC + ("percent",), f"linear steps of {traffic['percent']}% do not add up to 100%",
                      "choose a percent that divides 100 (10, 20, 25, 50)", RULE)
    if deploy["target"] == "sagemaker-endpoint":
        for key in ("interval", "bake"):
            if key in traffic and durations.seconds(traffic[key]) > SAGEMAKER_MAX_WAIT:
                yield Finding(TRAFFIC + (key,), "SageMaker deployment guardrails wait at most 1 hour per step",
                              "use at most 1h", RULE)
        if "interval" not in traffic and durations.seconds(interval) > SAGEMAKER_MAX_WAIT:
            yield Finding(TRAFFIC + ("mode",), f"the default interval, {interval} (the rollback window of "
                          "monitor.health.evaluation_periods), is longer than the 1 hour SageMaker deployment "
                          "guardrails wait per step",
                          "set `interval` (at most 1h) and monitor.health.evaluation_periods to at most 12", RULE)
