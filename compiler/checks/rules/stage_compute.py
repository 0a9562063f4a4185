"""Stage settings that only make sense for the compute the stage runs on."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind

RULE = "stage-compute"
DESCRIPTION = "A stage sets only the keys of its compute (SageMaker or Fargate); spot is for training jobs only"
SAGEMAKER_ONLY = ("instance_type", "instance_count", "volume_gb", "spot")
FARGATE_ONLY = ("cpu", "memory")


def check(context):
    for stage in iter_stages(context.config):
        compute = "sagemaker" if view_kind(stage) == "tuning" else stage.values["compute"]
        if view_kind(stage) == "tuning" and "compute" in stage.raw:  # `sagemaker` too: accepted, it would change nothing
            yield Finding(stage.path + ("compute",), f"the {stage.name} stage always runs as a SageMaker tuning job",
                          f"remove `compute` from the {stage.name} stage", RULE)
        wrong = FARGATE_ONLY if compute == "sagemaker" else SAGEMAKER_ONLY
        for key in wrong:
            if key in stage.raw:
                yield Finding(stage.path + (key,), f"'{key}' does not apply to {compute} compute",
                              f"it applies to {'fargate' if compute == 'sagemaker' else 'sagemaker'} compute; remove it or change `compute`",
                              RULE)
        if stage.values["spot"] and compute == "sagemaker" and view_kind(stage) not in ("training", "tuning"):
            yield Finding(stage.origin("spot"), "managed spot applies to training jobs only (training and tune stages)",
                          "SageMaker processing jobs cannot run on spot capacity", RULE)
