"""The tuning job's training jobs get the command in MLOPS_COMMAND (no entrypoint can be set
there), a value SageMaker limits to 512 characters."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind
from compiler.names import COMMAND_VALUE_LIMIT, COMMAND_VARIABLE, command_value

RULE = "tune-command-length"
DESCRIPTION = f"The tune stage's command fits the {COMMAND_VALUE_LIMIT} characters SageMaker allows in {COMMAND_VARIABLE}"


def check(context):
    for stage in iter_stages(context.config):
        if view_kind(stage) == "tuning" and stage.values.get("command") is not None:
            length = len(command_value(stage.values["command"]))
            if length > COMMAND_VALUE_LIMIT:
                yield Finding(stage.origin("command"),
                              f"the tuning job passes this command in {COMMAND_VARIABLE}, {length} characters as JSON; "
                              f"SageMaker allows {COMMAND_VALUE_LIMIT}",
                              "shorten the command: e.g. move its arguments into `environment` or the image", RULE)
