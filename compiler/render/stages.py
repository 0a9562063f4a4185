"""Which stages a model runs, in run order: read by the pointers (task definitions), the retrain
pipeline, the IAM policies and bootstrap. This is the one place retrain stages are ordered: by
the stage graph (compiler/stage_graph.py), whose default chain is inherit.RETRAIN_STAGES; the
monitor's baseline joins it here."""

from __future__ import annotations

from compiler import stage_graph
from compiler.model import ModelConfig
from compiler.stage_graph import BASELINE_AFTER

__all__ = ["BASELINE_AFTER", "container_stages", "retrain_levels", "retrain_run_order", "retrain_stages"]


def retrain_levels(config: ModelConfig) -> tuple:
    """The retrain steps by level: a tuple per level of (name, Stage or Tune) of the stages that
    run together (a level of one is a plain step; of several, a Parallel state). Without the
    graph, every level holds one stage: validate, transform, tune, train, the monitor's
    baseline, evaluate (those present)."""
    retrain = config.retrain
    if retrain is None:
        return ()
    after = {name: node.after for name, node in retrain.graph.items()}
    baseline = config.monitor.baseline if config.monitor else None
    if baseline is not None:
        after = stage_graph.with_baseline(after, retrain.uses_graph)
    steps = []
    for level in stage_graph.levels(after):
        steps.append(tuple((name, baseline if name == "baseline" else
                            retrain.tune if _is_tuning(retrain, name) else retrain.stage(name)) for name in level))
    return tuple(steps)


def _is_tuning(retrain, name: str) -> bool:
    return retrain.tune is not None and name == retrain.tune.stage.name


def retrain_run_order(config: ModelConfig) -> tuple:
    """(name, Stage or Tune) of each retrain step the config has, level by level."""
    return tuple(step for level in retrain_levels(config) for step in level)


def retrain_stages(config: ModelConfig) -> tuple:
    """The retrain pipeline's container stages in run order (tune is a job of its own kind, which
    runs many training jobs: not listed)."""
    return tuple(stage for name, stage in retrain_run_order(config) if not _is_tuning(config.retrain, name))


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
