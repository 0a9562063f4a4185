"""A deploy target's own block, traffic shifting that can roll back, and polling that ends."""

from compiler import durations
from compiler.checks.finding import Finding

RULE = "deploy"
BASE = ("pipelines", "deploy")
TARGET_BLOCK = {"sagemaker-endpoint": "endpoint", "lambda": "function", "ecs-service": "service"}
# SageMaker deployment guardrails: wait interval and termination wait are capped at one hour.
SAGEMAKER_MAX_WAIT = 3600
LAMBDA_MAX_TIMEOUT = 900


def check(context):
    deploy = context.pipelines.get("deploy")
    if deploy is None:
        return
    target = deploy["target"]
    for other_target, block in TARGET_BLOCK.items():
        if block in deploy and other_target != target:
            yield Finding(BASE + (block,), f"`{block}` applies to target {other_target}, not {target}",
                          f"target {target} is configured under `{TARGET_BLOCK[target]}`", RULE, at_key=True)
    yield from _traffic(deploy.get("traffic") or {}, target)
    yield from _endpoint(deploy.get("endpoint") or {})
    function = deploy.get("function") or {}
    if "timeout" in function and durations.seconds(function["timeout"]) > LAMBDA_MAX_TIMEOUT:
        yield Finding(BASE + ("function", "timeout"), "a Lambda function runs at most 15 minutes",
                      "use at most 15m; long-running serving belongs on ecs-service", RULE)


def _traffic(traffic: dict, target: str):
    path = BASE + ("traffic",)
    mode = traffic.get("mode", "all-at-once")
    if mode == "all-at-once":
        # percent and interval are ignored here, so that an overlay can switch a canary to
        # all-at-once (overlays cannot delete keys).
        return
    for key in ("percent", "interval"):
        if key not in traffic:
            yield Finding(path + (key,), f"{mode} traffic needs `{key}`",
                          "e.g. {mode: canary, percent: 10, interval: 10m, alarms: [...]}", RULE, at_key=True, anchor=path)
    if not traffic.get("alarms"):
        yield Finding(path + ("mode",), f"{mode} traffic without `alarms` can never roll back",
                      "name the CloudWatch alarms that roll the deployment back", RULE)
    if mode == "linear" and "percent" in traffic and 100 % traffic["percent"]:
        yield Finding(path + ("percent",), f"linear steps of {traffic['percent']}% do not add up to 100%",
                      "choose a percent that divides 100 (10, 20, 25, 50)", RULE)
    if target == "sagemaker-endpoint":
        for key in ("interval", "bake"):
            if key in traffic and durations.seconds(traffic[key]) > SAGEMAKER_MAX_WAIT:
                yield Finding(path + (key,), "SageMaker deployment guardrails wait at most 1 hour per step",
                              "use at most 1h", RULE)


def _endpoint(endpoint: dict):
    scaling = endpoint.get("autoscaling")
    if not scaling:
        return
    path = BASE + ("endpoint", "autoscaling")
    if scaling["min"] > scaling["max"]:
        yield Finding(path + ("min",), f"min ({scaling['min']}) is above max ({scaling['max']})", "", RULE)
    count = endpoint.get("instance_count", 1)
    if not scaling["min"] <= count <= scaling["max"]:
        yield Finding(BASE + ("endpoint", "instance_count"),
                      f"instance_count {count} is outside autoscaling's range {scaling['min']}..{scaling['max']}",
                      "start within the range autoscaling keeps", RULE)
