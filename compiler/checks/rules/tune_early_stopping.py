"""Early stopping of a tuning job's training jobs fits its strategy.

"Because the Hyperband strategy has its own advanced internal early stopping mechanism,
TrainingJobEarlyStoppingType must be OFF to use Hyperband" (SageMaker API reference,
HyperParameterTuningJobConfig: TrainingJobEarlyStoppingType). CreateHyperParameterTuningJob
would refuse the combination when the retrain runs; validate refuses it first. The tuning stage is
`tune` or one of the model's own of kind tuning (stage_graph.tuning_stage).
"""

from compiler.checks.finding import Finding
from compiler.stage_graph import tuning_stage

RULE = "tune-early-stopping"
DESCRIPTION = "early_stopping is not set with strategy hyperband, which stops training jobs early by itself"
STAGES = ("pipelines", "retrain", "stages")


def check(context):
    stages = context.pipelines.get("retrain", {}).get("stages", {})
    tuning = tuning_stage(stages)
    tune = stages.get(tuning) if tuning else None
    if not isinstance(tune, dict) or not tune.get("early_stopping", False):
        return
    if tune.get("strategy", "bayesian") == "hyperband":
        yield Finding(STAGES + (tuning, "early_stopping"),
                      "strategy hyperband stops training jobs early by itself; SageMaker refuses early_stopping with it",
                      "remove early_stopping, or choose strategy bayesian or random", RULE)
