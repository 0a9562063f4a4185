"""A deploy pipeline configures its own target's block only: `endpoint` for sagemaker-endpoint,
`function` for lambda, `service` for ecs-service."""

from compiler.checks.finding import Finding

RULE = "deploy-target-block"
DESCRIPTION = "A deploy pipeline sets only its own target's block (endpoint, function or service)"
BASE = ("pipelines", "deploy")
TARGET_BLOCK = {"sagemaker-endpoint": "endpoint", "lambda": "function", "ecs-service": "service"}


def check(context):
    deploy = context.pipelines.get("deploy")
    if deploy is None:
        return
    target = deploy["target"]
    for other_target, block in TARGET_BLOCK.items():
        if block in deploy and other_target != target:
            yield Finding(BASE + (block,), f"`{block}` applies to target {other_target}, not {target}",
                          f"target {target} is configured under `{TARGET_BLOCK[target]}`", RULE, at_key=True)
