"""Which stages a model runs, in run order: read by the pointers (task definitions), the retrain
pipeline, the IAM policies and bootstrap."""

from __future__ import annotations

from compiler.model import ModelConfig


def retrain_stages(config: ModelConfig) -> tuple:
    """The retrain pipeline's container stages in run order, the monitor's baseline right after
    train (tune is a job of its own kind, not listed)."""
    retrain = config.retrain
    if retrain is None:
        return ()
    baseline = config.monitor.baseline if config.monitor else None
    stages = []
    for stage in retrain.stages:
        stages.append(stage)
        if stage is retrain.train and baseline is not None:
            stages.append(baseline)
    return tuple(stages)


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
