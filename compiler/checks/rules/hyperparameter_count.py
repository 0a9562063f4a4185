"""A training job's hyper-parameters, and a tuning job's static ones, fit the 100 entries SageMaker
takes: "You can specify a maximum of 100 hyperparameters" (SageMaker API reference,
CreateTrainingJob: HyperParameters; botocore's HyperParameters map, also the tuning job's
StaticHyperParameters, has max 100).

The schema caps `train.hyperparameters` at 100 as written; the jobs get more than the user wrote:
- train's training job: its own, the tuning stage's tuned ones merged over them (the best
  training job's TunedHyperParameters), and the reserved ones of distribution
  (render/distribution.py) and script mode (render/script_mode.py);
- the tuning job's StaticHyperParameters: train's own and the reserved ones of the tuning
  stage's jobs, minus the tuned ones (render/stage_parameters.py sagemaker_tuning).
"""

from compiler import names
from compiler.checks.finding import Finding
from compiler.checks.rules.script_mode import is_script_mode
from compiler.inherit import iter_stages
from compiler.stage_graph import tuning_stage

RULE = "hyperparameter-count"
DESCRIPTION = ("A training job gets at most 100 hyper-parameters, a tuning job 100 static ones, counting tuned "
               "and reserved ones (distribution, script mode)")
LIMIT = 100
HYPERPARAMETERS = ("pipelines", "retrain", "stages", "train", "hyperparameters")
HINT = ("remove hyper-parameters the code does not read, or pass settings that are not tuned in the stage's "
        "`environment`")


def check(context):
    stages = context.pipelines.get("retrain", {}).get("stages", {})
    train_raw = stages.get("train")
    if not isinstance(train_raw, dict):
        return
    tuning = tuning_stage(stages)
    views = {view.name: view for view in iter_stages(context.config) if view.name in ("train", tuning)}
    own = set(train_raw.get("hyperparameters") or {})
    tuned = set((stages.get(tuning) or {}).get("parameters") or {}) if tuning else set()
    distribution = train_raw.get("distribution")
    train = views["train"]
    if train.values["compute"] == "sagemaker":
        reserved = _reserved(context, train, distribution)
        total = own | tuned | reserved
        if len(total) > LIMIT:
            parts = [f"{len(own)} of its own", f"{len(tuned - own)} more tuned by '{tuning}'" if tuned - own else "",
                     f"{len(reserved)} reserved: {', '.join(sorted(reserved))}" if reserved else ""]
            yield Finding(HYPERPARAMETERS, f"the train stage's training job would get {len(total)} hyper-parameters ("
                          + ", ".join(part for part in parts if part) + f"); SageMaker takes at most {LIMIT}",
                          HINT, RULE, at_key=True)
    if tuning:
        reserved = _reserved(context, views[tuning], distribution)
        static = (own | reserved) - tuned
        if len(static) > LIMIT:
            parts = [f"{len(own - tuned)} of train's not tuned",
                     f"{len(reserved - tuned)} reserved: {', '.join(sorted(reserved - tuned))}" if reserved - tuned else ""]
            yield Finding(HYPERPARAMETERS, f"the {tuning} stage's tuning job would get {len(static)} static "
                          "hyper-parameters (" + ", ".join(part for part in parts if part) +
                          f"); SageMaker takes at most {LIMIT}", HINT, RULE, at_key=True)


def _reserved(context, view, distribution) -> set:
    """The reserved hyper-parameters a training job on `view` gets (as render/distribution.py and
    render/script_mode.py add them)."""
    reserved = set(names.distribution_hyperparameters(distribution["type"])) if distribution else set()
    runtime = context.config["runtimes"].get(view.values["runtime"]) or {}
    if is_script_mode(view, runtime) and view.values.get("entry_point") is not None:
        reserved |= set(names.SCRIPT_MODE_HYPERPARAMETERS)
    return reserved
