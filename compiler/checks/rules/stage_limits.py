"""Settings that only make sense for some compute, and time-outs within each service's limit."""

from compiler import durations
from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "stage-limit"
SAGEMAKER_ONLY = ("instance_type", "instance_count", "volume_gb", "spot")
FARGATE_ONLY = ("cpu", "memory")
# Longest run each SageMaker job kind allows (MaxRuntimeInSeconds).
MAX_RUNTIME = {"training": 28 * 86400, "processing": 7 * 86400}


def check(context):
    for stage in iter_stages(context.config):
        compute = "sagemaker" if stage.name == "tune" else stage.values["compute"]
        if stage.name == "tune" and "compute" in stage.raw:  # `sagemaker` too: accepted, it would change nothing
            yield Finding(stage.path + ("compute",), "the tune stage always runs as a SageMaker tuning job",
                          "remove `compute` from the tune stage", RULE)
        wrong = FARGATE_ONLY if compute == "sagemaker" else SAGEMAKER_ONLY
        for key in wrong:
            if key in stage.raw:
                yield Finding(stage.path + (key,), f"'{key}' does not apply to {compute} compute",
                              f"it applies to {'fargate' if compute == 'sagemaker' else 'sagemaker'} compute; remove it or change `compute`",
                              RULE)
        if stage.values["spot"] and compute == "sagemaker" and stage.name not in ("train", "tune"):
            yield Finding(stage.origin("spot"), "managed spot applies to training jobs only (train and tune stages)",
                          "SageMaker processing jobs cannot run on spot capacity", RULE)
        if compute == "sagemaker":
            kind = "training" if stage.name in ("train", "tune") else "processing"
            limit = MAX_RUNTIME[kind]
            if durations.seconds(stage.values["timeout"]) > limit:
                yield Finding(stage.origin("timeout"), f"SageMaker {kind} jobs run at most {limit // 86400} days",
                              f"use a timeout of at most {limit // 86400}d", RULE)
