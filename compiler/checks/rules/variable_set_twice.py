"""A stage's variable is set in one place only: in `environment` or in `secrets`."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "variable-set-twice"
DESCRIPTION = "A variable is set either in a stage's `environment` or in its `secrets`, not both"


def check(context):
    for stage in iter_stages(context.config):
        for name in sorted(stage.values["environment"]):
            if name in stage.values["secrets"] and not name.startswith("MLOPS_"):  # MLOPS_: reserved-environment
                yield Finding(stage.origin("secrets", name), f"{name} is set both in `environment` and in `secrets`",
                              "keep one of them", RULE, at_key=True)
