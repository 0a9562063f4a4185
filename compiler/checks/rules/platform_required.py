"""The platform keys every pipeline needs, and those Fargate needs, are set somewhere."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "platform-required"
ALWAYS = ("account", "region", "artifact_bucket", "registry_table", "notification_topic", "roles")
FOR_FARGATE = ("ecs_cluster", "subnets", "security_groups")


def uses_fargate(config: dict) -> bool:
    deploy = config["pipelines"].get("deploy") or {}
    return deploy.get("target") == "ecs-service" or any(
        stage.values["compute"] == "fargate" and stage.name != "tune" for stage in iter_stages(config))


def check(context):
    platform = context.platform
    needed = ALWAYS + (FOR_FARGATE if uses_fargate(context.config) else ())
    for key in needed:
        if key not in platform:
            why = "Fargate tasks need it" if key in FOR_FARGATE else "every pipeline needs it"
            yield Finding(("platform", key), f"missing platform key '{key}' ({why})",
                          "set it in the platform file given with --platform, or in a `platform:` block",
                          RULE, anchor=("platform",))
