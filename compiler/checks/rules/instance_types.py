"""SageMaker instance types are ones the job or endpoint that runs them accepts.

Each SageMaker API field takes its own enum of the API model: a training or tuning job's
ResourceConfig.InstanceType (TrainingInstanceType), a processing job's and a monitoring
schedule's ClusterConfig.InstanceType (ProcessingInstanceType), an endpoint's production
variant (ProductionVariantInstanceType). The enums ship in compiler/aws_data (generated from
botocore), so SageMaker's "ValidationException" hours into a run becomes an error at validate.
batch mode transform runs a transform job (TransformResources.InstanceType: TransformInstanceType).
"""

from compiler.aws_data import sagemaker_instance_types
from compiler.checks.finding import Finding, did_you_mean
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind

RULE = "instance-type"
DESCRIPTION = "SageMaker instance types are ones the job or endpoint that runs them accepts"
#: The stage kinds (the stage graph's) that run training jobs; every other runs a processing job.
TRAINING_KINDS = ("training", "tuning")
JOB = {"TrainingInstanceType": "a training job", "ProcessingInstanceType": "a processing job",
       "ProductionVariantInstanceType": "an endpoint", "TransformInstanceType": "a transform job"}


def check(context):
    reported = set()
    for path, value, shape in _instance_types(context):
        if (path, value, shape) in reported:
            continue  # a stage_defaults value that several stages inherit: one error
        reported.add((path, value, shape))
        allowed = sagemaker_instance_types()[shape]
        if value not in allowed:
            yield Finding(path, f"{value} is not an instance type SageMaker offers for {JOB[shape]} ({shape})",
                          _hint(value, allowed, JOB[shape]), RULE)


def _instance_types(context):
    """(config path that set it, instance type, the API enum it must be in) of every SageMaker job
    and endpoint; schema defaults are skipped (the default is valid everywhere)."""
    for stage in iter_stages(context.config):
        sagemaker = view_kind(stage) == "tuning" or stage.values["compute"] == "sagemaker"
        if sagemaker and stage.origins.get("instance_type"):
            shape = "TrainingInstanceType" if view_kind(stage) in TRAINING_KINDS else "ProcessingInstanceType"
            if stage.pipeline == "batch" and context.pipelines["batch"]["mode"] == "transform":
                shape = "TransformInstanceType"
            yield stage.origins["instance_type"], stage.values["instance_type"], shape
    deploy = context.pipelines.get("deploy") or {}
    endpoint = deploy.get("endpoint") or {}
    if deploy.get("target") == "sagemaker-endpoint" and "instance_type" in endpoint:
        yield ("pipelines", "deploy", "endpoint", "instance_type"), endpoint["instance_type"], "ProductionVariantInstanceType"
    if deploy.get("target") == "sagemaker-endpoint":  # A/B and shadow variants run on instances of their own
        served = [(("variants", name), variant) for name, variant in (endpoint.get("variants") or {}).items()]
        served += [(("shadow",), endpoint["shadow"])] if endpoint.get("shadow") else []
        for path, variant in served:
            if "instance_type" in variant:
                yield (("pipelines", "deploy", "endpoint") + path + ("instance_type",), variant["instance_type"],
                       "ProductionVariantInstanceType")


def _hint(value: str, allowed: tuple, job: str) -> str:
    suggestion = did_you_mean(value, allowed)
    family = value.rsplit(".", 1)[0] + "."
    sizes = [choice.removeprefix(family) for choice in allowed if choice.startswith(family)]
    offered = f"{family[:-1]} comes in: {', '.join(sizes)}" if sizes else f"SageMaker offers no {family[:-1]} type for {job}"
    return "; ".join(part for part in (suggestion, offered) if part)
