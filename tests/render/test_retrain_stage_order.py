"""The retrain stages run in one order, written once (compiler/inherit.py RETRAIN_STAGES): the
state machine's steps, the pointers' settings and the container stages follow it, with the
monitor's baseline right after train (compiler/render/stages.py)."""

from __future__ import annotations

import pytest
from compile_helpers import SAMPLES, SAMPLES_PLATFORM, long_names_config, make_repo

from compiler import api
from compiler.inherit import RETRAIN_STAGES
from compiler.render import asl, pointers
from compiler.render.naming import Naming
from compiler.render.stages import BASELINE_AFTER, container_stages


def _run_order() -> list:
    """RETRAIN_STAGES with the baseline after train, as this test reads the rule."""
    order = []
    for name in RETRAIN_STAGES:
        order += [name, "baseline"] if name == BASELINE_AFTER else [name]
    return order


def _configured(model) -> set:
    stages = {name for name in RETRAIN_STAGES if getattr(model.retrain, name) is not None}
    return stages | ({"baseline"} if model.monitor and model.monitor.baseline else set())


@pytest.mark.parametrize("source", ["every stage kind (no baseline)", "demand-forecast (a baseline, no validate)"])
def test_every_retrain_output_follows_the_one_stage_order(tmp_path, source):
    if source.startswith("every"):
        repo = make_repo(tmp_path, "every-stage", long_names_config("endpoint", "every-stage"))
        validation = api.validate([str(repo)], str(tmp_path / "mlops-platform.yaml"))
    else:
        validation = api.validate([str(SAMPLES / "demand-forecast")], str(SAMPLES_PLATFORM))
    assert validation.ok and validation.models
    for model in validation.models:
        expected = [name for name in _run_order() if name in _configured(model)]
        naming = Naming(model)
        retrain = asl.definitions(naming)["retrain"]
        # "Retrain <model> (<env>): validate -> transform -> ... -> gate -> register"
        steps = retrain["Comment"].split(": ", 1)[1].split(";")[0].split(" -> ")
        assert steps == expected + ["gate", "register"], retrain["Comment"]
        settings = pointers.pointers(naming)["settings"]["retrain"]["stages"]
        assert settings == [name for name in expected if name != "tune"]
        assert [stage.name for pipeline, stage in container_stages(model) if pipeline == "retrain"] == settings
