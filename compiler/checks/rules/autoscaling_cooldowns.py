"""An endpoint's autoscaling cooldowns are seconds in Application Auto Scaling's Integer.

TargetTrackingScalingPolicyConfiguration.ScaleInCooldown/ScaleOutCooldown are `Integer` seconds
(Application Auto Scaling API reference; botocore's application-autoscaling model, shape
Cooldown): a 32-bit number, which a duration such as `9999999d` exceeds. PutScalingPolicy would
refuse it at deploy time, after the new fleet is serving; here it is refused at validate time.
"""

from compiler import durations
from compiler.checks.finding import Finding

RULE = "autoscaling-cooldown"
DESCRIPTION = "An endpoint's autoscaling cooldowns fit the seconds Application Auto Scaling takes (a 32-bit integer)"
SCALING = ("pipelines", "deploy", "endpoint", "autoscaling")
#: The largest Integer of the AWS APIs (Java's int).
LARGEST_SECONDS = 2**31 - 1


def check(context):
    scaling = ((context.pipelines.get("deploy") or {}).get("endpoint") or {}).get("autoscaling") or {}
    for key in ("scale_in_cooldown", "scale_out_cooldown"):
        if key in scaling and durations.seconds(scaling[key]) > LARGEST_SECONDS:
            yield Finding(SCALING + (key,),
                          f"{scaling[key]} is {durations.seconds(scaling[key])} seconds; Application Auto Scaling "
                          f"takes at most {LARGEST_SECONDS}",
                          "a cooldown is minutes, rarely hours: e.g. 5m to scale in, 1m to scale out", RULE)
