"""An endpoint's autoscaling range is ordered, and the instance count it starts with lies within it."""

from compiler.checks.finding import Finding

RULE = "endpoint-autoscaling"
DESCRIPTION = "An endpoint's autoscaling min is at most its max, and instance_count lies between them"
ENDPOINT = ("pipelines", "deploy", "endpoint")


def check(context):
    endpoint = (context.pipelines.get("deploy") or {}).get("endpoint") or {}
    scaling = endpoint.get("autoscaling")
    if not scaling:
        return
    if scaling["min"] > scaling["max"]:
        yield Finding(ENDPOINT + ("autoscaling", "min"), f"min ({scaling['min']}) is above max ({scaling['max']})",
                      "", RULE)
    count = endpoint.get("instance_count", 1)
    if not scaling["min"] <= count <= scaling["max"]:
        yield Finding(ENDPOINT + ("instance_count",),
                      f"instance_count {count} is outside autoscaling's range {scaling['min']}..{scaling['max']}",
                      "start within the range autoscaling keeps", RULE)
