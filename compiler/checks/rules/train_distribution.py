"""`train.distribution` can work where the train stage (and the tune stage's training jobs) run.

- Distribution is a SageMaker training job's: a Fargate train stage has no launcher to start.
- mpi starts `processes_per_host` processes per instance, which it needs (the SageMaker Python
  SDK's `distribution={"mpi": {"processes_per_host": N}}`); data_parallel and torch_distributed
  start one per GPU (or Trainium core) themselves and take none.
- mpi on one instance with one process distributes nothing (in train, or in the tune stage's
  training jobs, which may set their own instance_count): refused rather than run in vain.
  data_parallel and torch_distributed on one instance are accepted: one multi-GPU instance is a
  common data-parallel set-up.
- data_parallel (the SMDDP library) runs only on the instance types AWS supports for it (SDK v2
  fw_utils.SM_DATAPARALLEL_SUPPORTED_INSTANCE_TYPES; developer guide, "Supported frameworks, AWS
  Regions, and instances types" of the SMDDP library); torch_distributed on GPU and Trainium
  instances only (SDK v2 `validate_torch_distributed_distribution`: "supported only for GPU and
  Trainium instances").
- The reserved hyper-parameters the distribution sets (compiler.names, rendered by
  render/distribution.py) may not also be set by the user's hyper-parameters or tuned: the
  training toolkit reads them as the launcher's.
"""

import re

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.names import distribution_hyperparameters

RULE = "train-distribution"
DESCRIPTION = "train.distribution runs on SageMaker, with the processes and instance types its launcher supports"
TRAIN = ("pipelines", "retrain", "stages", "train")
DISTRIBUTION = TRAIN + ("distribution",)
#: SMDDP's instance types (SageMaker Python SDK v2, fw_utils.py).
DATA_PARALLEL_INSTANCE_TYPES = ("ml.p3.16xlarge", "ml.p3dn.24xlarge", "ml.p4d.24xlarge", "ml.p4de.24xlarge")
#: GPU (p*, g*) and Trainium (trn*) families, as the SDK tells them apart.
ACCELERATED_FAMILY = re.compile(r"^ml\.(p|g|trn)[0-9]")


def check(context):
    stages = context.pipelines.get("retrain", {}).get("stages", {})
    distribution = (stages.get("train") or {}).get("distribution")
    if distribution is None:
        return
    kind = distribution["type"]
    views = {view.name: view for view in iter_stages(context.config) if view.name in ("train", "tune")}
    train = views["train"]
    if train.values["compute"] != "sagemaker":
        yield Finding(DISTRIBUTION, "distribution needs a SageMaker training job; the train stage runs on fargate",
                      "set `compute: sagemaker` on the train stage, or remove distribution", RULE)
        return
    yield from _processes(distribution, kind)
    for view in views.values():
        yield from _one_process(distribution, kind, view)
        yield from _instance_type(kind, view)
    yield from _collisions(stages, kind)


def _processes(distribution, kind):
    given = distribution.get("processes_per_host")
    if kind == "mpi" and given is None:
        yield Finding(DISTRIBUTION, "mpi needs processes_per_host: how many processes mpirun starts on each instance",
                      "e.g. processes_per_host: 8 on an 8-GPU instance", RULE)
    elif kind != "mpi" and given is not None:
        yield Finding(DISTRIBUTION + ("processes_per_host",),
                      f"{kind} starts one process per GPU itself; processes_per_host is for mpi",
                      "remove processes_per_host", RULE)


def _one_process(distribution, kind, view):
    """mpi with one process on the one instance of train, or of the tune stage's training jobs
    (which may set their own instance_count)."""
    if kind != "mpi" or distribution.get("processes_per_host") != 1 or view.values["instance_count"] != 1:
        return
    where = DISTRIBUTION + ("processes_per_host",) if view.name == "train" else view.origin("instance_count")
    yield Finding(where, f"one process on one instance distributes nothing (the {view.name} stage's jobs)",
                  "start more processes per host, or more instances (instance_count), or remove distribution", RULE)


def _instance_type(kind, view):
    instance_type = view.values["instance_type"]
    where = view.origin("instance_type")
    if kind == "data_parallel" and instance_type not in DATA_PARALLEL_INSTANCE_TYPES:
        yield Finding(where, f"the {view.name} stage's {instance_type} cannot run data_parallel (SMDDP)",
                      "SMDDP runs on " + ", ".join(DATA_PARALLEL_INSTANCE_TYPES) + "; or use torch_distributed", RULE)
    elif kind == "torch_distributed" and not ACCELERATED_FAMILY.match(instance_type):
        yield Finding(where, f"the {view.name} stage's {instance_type} has no GPU or Trainium chip for torch_distributed",
                      "choose a GPU (ml.p*, ml.g*) or Trainium (ml.trn*) instance type", RULE)


def _collisions(stages, kind):
    reserved = set(distribution_hyperparameters(kind))
    for name in sorted(reserved & set((stages.get("train") or {}).get("hyperparameters") or {})):
        yield Finding(TRAIN + ("hyperparameters", name), f"'{name}' is set by distribution ({kind})",
                      "rename the hyper-parameter: the SageMaker training toolkit reads this one", RULE, at_key=True)
    for name in sorted(reserved & set(((stages.get("tune") or {}).get("parameters") or {}))):
        yield Finding(("pipelines", "retrain", "stages", "tune", "parameters", name),
                      f"'{name}' is set by distribution ({kind}) and cannot be tuned",
                      "rename the hyper-parameter: the SageMaker training toolkit reads this one", RULE, at_key=True)
