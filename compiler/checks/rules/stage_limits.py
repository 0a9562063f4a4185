"""Stage time-outs within the limit of the SageMaker job that runs the stage."""

from compiler import durations
from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind

RULE = "stage-limit"
DESCRIPTION = "A SageMaker stage's timeout is within its job's MaxRuntimeInSeconds (training 28 days, processing 7)"
# Longest run each SageMaker job kind allows (MaxRuntimeInSeconds).
MAX_RUNTIME = {"training": 28 * 86400, "processing": 7 * 86400}


def check(context):
    for stage in iter_stages(context.config):
        sagemaker = view_kind(stage) == "tuning" or stage.values["compute"] == "sagemaker"
        if sagemaker:
            kind = "training" if view_kind(stage) in ("training", "tuning") else "processing"
            limit = MAX_RUNTIME[kind]
            if durations.seconds(stage.values["timeout"]) > limit:
                yield Finding(stage.origin("timeout"), f"SageMaker {kind} jobs run at most {limit // 86400} days",
                              f"use a timeout of at most {limit // 86400}d", RULE)
