"""`train.distribution`: how the train stage's code runs across processes and instances.

SageMaker's training API has no field for it: the SageMaker Python SDK (v2, `distribution=` of
its framework estimators: estimator.py `_distribution_configuration`, pytorch/estimator.py
`_pytorch_distribution_configuration`) sends it as reserved hyper-parameters, which AWS's
framework containers read through the SageMaker training toolkit and then launch the script with
mpirun, the SMDDP library or torchrun. mlopsc renders the same names and values (JSON-encoded,
as the SDK's `_json_encode_hyperparameters` does), so they work only in images that run the
SageMaker training toolkit (AWS's framework images, or images built on the toolkit).
"""

from __future__ import annotations

import json
from typing import Mapping, Optional

from compiler import names
from compiler.model import Distribution, Stage


def distribution_hyperparameters(distribution: Optional[Distribution], stage: Stage) -> dict:
    """The reserved hyper-parameters for a training job (or a tuning job's training jobs) that
    run on `stage`'s instances; none without a distribution."""
    if distribution is None:
        return {}
    enabled, second = names.distribution_hyperparameters(distribution.kind)
    # mpi: the processes mpirun starts per host; data_parallel and torch_distributed start one
    # per GPU (or Neuron core) of the instance type they are told.
    value = distribution.processes_per_host if distribution.kind == "mpi" else stage.instance_type
    return {enabled: json.dumps(True), second: json.dumps(value)}


def training_hyperparameters(hyperparameters: Mapping, distribution: Optional[Distribution], stage: Stage) -> dict:
    """The train stage's hyper-parameters and the distribution's reserved ones (which no user
    hyper-parameter may name: rule train-distribution)."""
    return {**dict(hyperparameters), **distribution_hyperparameters(distribution, stage)}
