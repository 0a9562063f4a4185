"""A Lambda function runs at most 15 minutes (Lambda developer guide, "Lambda quotas": function
timeout 900 seconds)."""

from compiler import durations
from compiler.checks.finding import Finding

RULE = "lambda-timeout"
DESCRIPTION = "A lambda target's function timeout is at most 15 minutes"
LAMBDA_MAX_TIMEOUT = 900


def check(context):
    function = (context.pipelines.get("deploy") or {}).get("function") or {}
    if "timeout" in function and durations.seconds(function["timeout"]) > LAMBDA_MAX_TIMEOUT:
        yield Finding(("pipelines", "deploy", "function", "timeout"), "a Lambda function runs at most 15 minutes",
                      "use at most 15m; long-running serving belongs on ecs-service", RULE)
