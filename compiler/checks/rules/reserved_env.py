"""The stage contract's variables belong to mlopsc, and a variable is set in one place only."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "reserved-environment"


def check(context):
    for stage in iter_stages(context.config):
        for name in sorted(stage.values["environment"]):
            if name.startswith("MLOPS_"):
                yield Finding(stage.origin("environment", name), f"{name} is set by mlopsc (the stage contract)",
                              "choose a name that does not start with MLOPS_", RULE, at_key=True)
            elif name in stage.values["secrets"]:
                yield Finding(stage.origin("secrets", name), f"{name} is set both in `environment` and in `secrets`",
                              "keep one of them", RULE, at_key=True)
