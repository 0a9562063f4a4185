"""The platform file given to `mlopsc bootstrap platform` sets the keys the platform stack cannot
be made without (the rest are optional). A model config checks its platform with rule
platform-required instead; this rule sees the platform file alone, as a config's platform block."""

from compiler.checks.finding import Finding

RULE = "platform-stack-required"
DESCRIPTION = "A platform file given to `bootstrap platform` sets every key the platform stack needs"
#: Keys the platform stack cannot be made without (the rest are optional).
REQUIRED = ("account", "region", "artifact_bucket", "registry_table", "notification_topic", "roles")
BASE = ("platform",)


def check_platform(platform: dict):
    for key in REQUIRED:
        if key not in platform:
            yield Finding(BASE + (key,), f"missing required key '{key}'", "the platform stack needs it", RULE,
                          at_key=True, anchor=BASE)
