"""Which stages a model runs, in run order: read by the pointers (task definitions), the retrain
pipeline, the IAM policies and bootstrap. The retrain stages' order is inherit.RETRAIN_STAGES
(the one place it is written); the monitor's baseline joins them here."""

from __future__ import annotations

from compiler.inherit import RETRAIN_STAGES
from compiler.model import ModelConfig

#: The monitor's baseline (`monitor.baseline`) runs in the retrain pipeline right after this
#: stage: it describes the data train learnt from.
BASELINE_AFTER = "train"


def retrain_run_order(config: ModelConfig) -> tuple:
    """(name, Stage or Tune) of each retrain step the config has, in run order: RETRAIN_STAGES,
    with the monitor's baseline right after train."""
    retrain = config.retrain
    if retrain is None:
        return ()
    baseline = config.monitor.baseline if config.monitor else None
    steps = []
    for name in RETRAIN_STAGES:
        if getattr(retrain, name) is not None:
            steps.append((name, getattr(retrain, name)))
        if name == BASELINE_AFTER and baseline is not None:
            steps.append(("baseline", baseline))
    return tuple(steps)


def retrain_stages(config: ModelConfig) -> tuple:
    """The retrain pipeline's container stages in run order (tune is a job of its own kind, which
    runs many training jobs: not listed)."""
    return tuple(stage for name, stage in retrain_run_order(config) if name != "tune")


def container_stages(config: ModelConfig) -> list:
    """(pipeline, stage) of every stage that runs one container as a Fargate task or a SageMaker
    job: retrain's (the baseline among them), the batch job and the drift job. The tune stage
    is not one (its tuning job runs many)."""
    found = [("retrain", stage) for stage in retrain_stages(config)]
    if config.batch:
        found.append(("batch", config.batch.stage))
    if config.drift_job:
        found.append(("drift", config.drift_job))
    return found
