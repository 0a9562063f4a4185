"""The stage contract's variables (MLOPS_*) belong to mlopsc."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "reserved-environment"
DESCRIPTION = "A stage's environment sets no MLOPS_ variable: those are the stage contract's"


def check(context):
    for stage in iter_stages(context.config):
        for name in sorted(stage.values["environment"]):
            if name.startswith("MLOPS_"):
                yield Finding(stage.origin("environment", name), f"{name} is set by mlopsc (the stage contract)",
                              "choose a name that does not start with MLOPS_", RULE, at_key=True)
