"""The platform keys every pipeline needs, and those Fargate needs, are set somewhere."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind

RULE = "platform-required"
DESCRIPTION = "The platform keys every pipeline needs, and those Fargate needs, are set"
ALWAYS = ("account", "region", "artifact_bucket", "registry_table", "notification_topic", "roles")
FOR_FARGATE = ("ecs_cluster", "subnets", "security_groups")


def uses_fargate(config: dict) -> bool:
    deploy = config["pipelines"].get("deploy") or {}
    return deploy.get("target") == "ecs-service" or any(
        stage.values["compute"] == "fargate" and view_kind(stage) != "tuning" for stage in iter_stages(config))


def check(context):
    platform = context.platform
    needed = ALWAYS + (FOR_FARGATE if uses_fargate(context.config) else ())
    missing = [key for key in needed if key not in platform]
    if missing:
        fargate = [key for key in missing if key in FOR_FARGATE]
        why = f" ({', '.join(fargate)} because Fargate tasks run here)" if fargate else ""
        path = ("platform", missing[0]) if len(missing) == 1 else ("platform",)
        yield Finding(path, f"missing platform key{'s' if len(missing) > 1 else ''} {', '.join(missing)}{why}",
                      "set them in the platform file given with --platform, or in a `platform:` block",
                      RULE, anchor=("platform",))
