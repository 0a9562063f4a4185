"""Script mode: a training job (or a tuning job's training jobs) on a runtime with `code` runs the
stage's `entry_point` from that folder, as the SageMaker Python SDK's framework estimators do.

The SDK (v2, estimator.py `Framework._script_mode_hyperparam_update`, fw_utils.py
`tar_and_upload_dir`) uploads the folder as `sourcedir.tar.gz` and names it and the script in
reserved hyper-parameters, JSON-encoded (`_json_encode_hyperparameters`); the SageMaker training
toolkit in AWS's framework images reads them, downloads and unpacks the archive into /opt/ml/code
and runs the script there. The build stage uploads the archive per commit (render/buildspec.py), so
its URI is a run-time value: the commit apply wrote into the pointers, as the processing input
`code` reads it (Naming.code_uri).
"""

from __future__ import annotations

import json
import logging

from compiler import names
from compiler.model import Stage
from compiler.render.naming import Naming, states_format
from compiler.render.stages import retrain_stages

#: The stage kinds that run training jobs (rule script-mode refuses `entry_point` elsewhere).
TRAINING_KINDS = ("training", "tuning")

#: The SDK's default `container_log_level` (logging.INFO).
LOG_LEVEL = logging.INFO


def script_mode_hyperparameters(naming: Naming, stage: Stage) -> dict:
    """The reserved hyper-parameters of a training job on `stage` in script mode; none otherwise.
    `sagemaker_submit_directory` is read at run time (a `.$` key, valid inside HyperParameters and
    StaticHyperParameters as anywhere in a Task's Parameters)."""
    if stage.kind not in TRAINING_KINDS or stage.entry_point is None or naming.config.runtime(stage.runtime).code is None:
        return {}
    archive = states_format(json.dumps(naming.code_archive(stage.runtime, "{}")), f"{naming.pointers}.commit.S")
    return {names.SCRIPT_PROGRAM: json.dumps(stage.entry_point),
            names.SCRIPT_LOG_LEVEL: json.dumps(LOG_LEVEL),
            names.SCRIPT_REGION: json.dumps(naming.platform.region),
            f"{names.SCRIPT_SUBMIT_DIRECTORY}.$": archive}


def is_dynamic(hyperparameters: dict) -> bool:
    """Whether some value is read at run time (a Pass state then builds them with Parameters)."""
    return any(key.endswith(".$") for key in hyperparameters)


def code_archives(naming: Naming) -> list:
    """The runtimes whose code a training or tuning stage runs in script mode (sorted names)."""
    config = naming.config
    retrain = config.retrain
    stages = list(retrain_stages(config)) if retrain else []
    if retrain and retrain.tune:
        stages.append(retrain.tune.stage)
    return sorted({stage.runtime for stage in stages if script_mode_hyperparameters(naming, stage)})
