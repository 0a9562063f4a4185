"""A warm start that claims identical data cannot be started by new data.

With WarmStartType IdenticalDataAndAlgorithm, "the new hyperparameter tuning job uses the same
input data and training image as the parent tuning jobs" (SageMaker API reference,
HyperParameterTuningJobWarmStartConfig); TransferLearning is for new data. A retrain started by
`triggers.new_data` runs because the data changed, so identical_data_and_algorithm would claim
what is not true and mislead the search: refused, with transfer_learning as the way out. (The
other conditions on a parent, same objective metric and hyper-parameter types, compare with the
approved version's config, which validate does not see.) The tuning stage is `tune` or one of the
model's own of kind tuning (stage_graph.tuning_stage).
"""

from compiler.checks.finding import Finding
from compiler.stage_graph import tuning_stage

RULE = "tune-warm-start"
DESCRIPTION = "tune.warm_start identical_data_and_algorithm is not used by a retrain that new data starts"
STAGES = ("pipelines", "retrain", "stages")


def check(context):
    retrain = context.pipelines.get("retrain", {})
    stages = retrain.get("stages", {})
    tuning = tuning_stage(stages)
    warm_start = (stages.get(tuning) or {}).get("warm_start") if tuning else None
    if warm_start is None or warm_start["type"] != "identical_data_and_algorithm":
        return
    if "new_data" in (retrain.get("triggers") or {}):
        yield Finding(STAGES + (tuning, "warm_start", "type"),
                      "runs started by triggers.new_data tune on new data, not the parent's",
                      "use warm_start type transfer_learning", RULE)
