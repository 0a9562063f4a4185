"""Early stopping of a tuning job's training jobs fits its strategy.

"Because the Hyperband strategy has its own advanced internal early stopping mechanism,
TrainingJobEarlyStoppingType must be OFF to use Hyperband" (SageMaker API reference,
HyperParameterTuningJobConfig: TrainingJobEarlyStoppingType). CreateHyperParameterTuningJob
would refuse the combination when the retrain runs; validate refuses it first.
"""

from compiler.checks.finding import Finding

RULE = "tune-early-stopping"
DESCRIPTION = "early_stopping is not set with strategy hyperband, which stops training jobs early by itself"
TUNE = ("pipelines", "retrain", "stages", "tune")


def check(context):
    tune = context.pipelines.get("retrain", {}).get("stages", {}).get("tune")
    if tune is None or not tune.get("early_stopping", False):
        return
    if tune.get("strategy", "bayesian") == "hyperband":
        yield Finding(TUNE + ("early_stopping",),
                      "strategy hyperband stops training jobs early by itself; SageMaker refuses early_stopping with it",
                      "remove early_stopping, or choose strategy bayesian or random", RULE)
