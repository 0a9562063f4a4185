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
- Only the SageMaker training toolkit reads the reserved hyper-parameters: the train stage (and
  the tuning stage's training jobs) must run it. It runs in script mode (an AWS-provided image
  with `code` and the stage's `entry_point`, rule script-mode); the user's own image, built from a
  `dockerfile` or pinned by digest, is taken to be adapted with it (SageMaker developer guide,
  "Custom Docker containers with SageMaker AI": the SageMaker Training Toolkit adapts an image),
  which validate cannot look inside to see. An AWS-provided image without script mode, and any
  built-in algorithm, runs as SageMaker's algorithm, which validates every hyper-parameter and
  fails the job on the reserved ones ("Extraneous hyperparameter found":
  aws/sagemaker-xgboost-container, sagemaker_algorithm_toolkit/hyperparameter_validation.py).
- No `command` with it: a training job's command is its AlgorithmSpecification.ContainerEntrypoint,
  which "takes precedence over the default train processing instructions" (SageMaker API
  reference, AlgorithmSpecification), and a tuning job's training jobs hand it to the image's
  `train` program (MLOPS_COMMAND): either way the toolkit never reads the reserved keys.
- The reserved hyper-parameters the distribution sets (compiler.names, rendered by
  render/distribution.py) may not also be set by the user's hyper-parameters or tuned: the
  training toolkit reads them as the launcher's.
"""

import re

from compiler.aws_data.images import BUILT_IN_ALGORITHMS
from compiler.checks.finding import Finding
from compiler.checks.rules.script_mode import is_script_mode
from compiler.inherit import iter_stages
from compiler.names import distribution_hyperparameters
from compiler.stage_graph import tuning_stage

RULE = "train-distribution"
DESCRIPTION = ("train.distribution runs where the SageMaker training toolkit reads it (no built-in algorithm or "
               "`command`), on processes and instances it supports")
STAGES = ("pipelines", "retrain", "stages")
TRAIN = STAGES + ("train",)
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
    tuning = tuning_stage(stages)
    views = {view.name: view for view in iter_stages(context.config) if view.name in ("train", tuning)}
    train = views["train"]
    if train.values["compute"] != "sagemaker":
        yield Finding(DISTRIBUTION, "distribution needs a SageMaker training job; the train stage runs on fargate",
                      "set `compute: sagemaker` on the train stage, or remove distribution", RULE)
        return
    yield from _processes(distribution, kind)
    found = []
    for view in views.values():
        for finding in (*_toolkit(context, view, train), *_command(context, view, train),
                        *_one_process(distribution, kind, view), *_instance_type(kind, view)):
            if finding not in found:  # the tuning stage inherits train's settings: one problem, one report
                found.append(finding)
    yield from found
    yield from _collisions(stages, kind, tuning)


def _runtime(context, view) -> dict:
    return context.config["runtimes"].get(view.values["runtime"]) or {}  # runtime-ref reports a missing one


def _inherited(view, train, key: str) -> bool:
    """The tuning stage's setting is train's (or both stage_defaults'): reported once, as train's."""
    return view is not train and view.origin(key) == train.origin(key)


def _toolkit(context, view, train):
    """The stage's jobs run the SageMaker training toolkit, which alone reads the reserved keys
    (reported at train's distribution, or at the tuning stage's own runtime)."""
    runtime = _runtime(context, view)
    image = runtime.get("image")
    if not isinstance(image, dict) or _inherited(view, train, "runtime"):
        return  # a dockerfile's image or one pinned by digest: the user's own, which runs the toolkit
    framework = image.get("framework")
    name = view.values["runtime"]
    where = DISTRIBUTION if view is train else view.origin("runtime")
    if framework in BUILT_IN_ALGORITHMS:
        yield Finding(where, f"the {view.name} stage's jobs run SageMaker's built-in algorithm "
                      f"{framework} (runtime '{name}'), which fails the job on distribution's reserved sagemaker_* "
                      "hyper-parameters (\"Extraneous hyperparameter found\")",
                      "remove distribution: a built-in algorithm trains on instance_count instances by itself", RULE)
    elif not is_script_mode(view, runtime):
        yield Finding(where, f"the {view.name} stage's jobs run AWS's {framework} image (runtime '{name}') without "
                      "script mode (the runtime has no `code`): the image then runs as SageMaker's algorithm, which "
                      "fails the job on distribution's reserved sagemaker_* hyper-parameters, not as the training "
                      "toolkit that reads them",
                      f"run your script in script mode (`code: <folder>` on runtime '{name}', `entry_point` on the "
                      "train stage), or remove distribution", RULE)


def _command(context, view, train):
    """`command` replaces the toolkit (in script mode rule script-mode refuses it already)."""
    if view.values.get("command") is None or is_script_mode(view, _runtime(context, view)) or \
            _inherited(view, train, "command"):
        return
    runs = "the training job's ContainerEntrypoint, which takes precedence over" if view is train else \
        "the tuning job's MLOPS_COMMAND, run by the image's `train` program instead of"
    yield Finding(view.origin("command"), f"with distribution, `command` becomes {runs} the image's SageMaker "
                  "training toolkit: nothing would read the distribution",
                  "remove `command` so the image's training toolkit runs (it reads the distribution and starts your "
                  "code), or use script mode's `entry_point`", RULE)


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


def _collisions(stages, kind, tuning):
    reserved = set(distribution_hyperparameters(kind))
    for name in sorted(reserved & set((stages.get("train") or {}).get("hyperparameters") or {})):
        yield Finding(TRAIN + ("hyperparameters", name), f"'{name}' is set by distribution ({kind})",
                      "rename the hyper-parameter: the SageMaker training toolkit reads this one", RULE, at_key=True)
    parameters = (stages.get(tuning) or {}).get("parameters") if tuning else None
    for name in sorted(reserved & set(parameters if isinstance(parameters, dict) else {})):
        yield Finding(STAGES + (tuning, "parameters", name),
                      f"'{name}' is set by distribution ({kind}) and cannot be tuned",
                      "rename the hyper-parameter: the SageMaker training toolkit reads this one", RULE, at_key=True)
