"""Which settings a stage ends up with: its own, else `stage_defaults`, else the schema default.

Shared by the checks (to point at the line that set a value) and by `resolve` (to build the
model), so the two can never disagree about inheritance.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Optional

from compiler import package_data

#: The retrain pipeline's stages (keys of pipelines.retrain.stages) in the order they run: the one
#: place that order is written (render/stages.py adds the monitor's baseline after train).
RETRAIN_STAGES = ("validate", "transform", "tune", "train", "evaluate")
#: Map settings merge entry by entry (a stage adds to the defaults' environment); others replace.
MERGED_MAPS = ("retry", "environment", "secrets")


@dataclasses.dataclass(frozen=True)
class StageView:
    """One stage of the effective config: where it sits, and each setting's value and origin."""

    pipeline: str
    name: str
    path: tuple
    raw: dict
    values: dict
    #: setting -> config path that set it; None for a schema default
    origins: dict
    #: (path, settings) this stage inherits from, weakest first, the stage itself last
    layers: tuple = ()

    def origin(self, key: str, sub: Optional[str] = None) -> tuple:
        """The config path that set `key` (or the entry `sub` of a map setting)."""
        if sub is not None:
            for where, settings in reversed(self.layers):
                if sub in _as_map(settings.get(key)):
                    return where + (key, sub)
        return self.origins.get(key) or self.path


def stage_defaults_schema() -> dict:
    return package_data.schema()["$defs"]["stage_settings"]["properties"]


def setting_keys() -> tuple:
    return tuple(stage_defaults_schema())


def default(key: str) -> Any:
    spec = stage_defaults_schema()[key]
    return spec.get("default")


def iter_stages(config: dict) -> Iterator[StageView]:
    """Every stage of every pipeline in the fixed order: retrain (the well-known stages, then the
    model's own by name), batch, then the monitor's baseline (a retrain stage) and drift job."""
    pipelines = config.get("pipelines") or {}
    defaults = (("stage_defaults",), _as_map(config.get("stage_defaults")))
    stages = _as_map(_as_map(pipelines.get("retrain")).get("stages"))
    for name in RETRAIN_STAGES:
        if isinstance(stages.get(name), dict):
            layers = [defaults]
            if name == "tune" and isinstance(stages.get("train"), dict):
                # Tuning runs many training jobs of the train stage: its image, command and
                # instances, unless the tune stage says otherwise.
                layers.append((("pipelines", "retrain", "stages", "train"), stages["train"]))
            yield _view("retrain", name, ("pipelines", "retrain", "stages", name), stages[name], layers)
    for name in sorted(set(stages) - set(RETRAIN_STAGES)):  # stages of the model's own (the stage graph)
        if isinstance(stages[name], dict):
            layers = [defaults]
            if stages[name].get("kind") == "tuning" and isinstance(stages.get("train"), dict):
                layers.append((("pipelines", "retrain", "stages", "train"), stages["train"]))  # as tune's
            yield _view("retrain", name, ("pipelines", "retrain", "stages", name), stages[name], layers)
    if isinstance(pipelines.get("batch"), dict):
        yield _view("batch", "batch", ("pipelines", "batch"), pipelines["batch"], [defaults])
    monitor = _as_map(config.get("monitor"))
    if isinstance(monitor.get("baseline"), dict):
        yield _view("retrain", "baseline", ("monitor", "baseline"), monitor["baseline"], [defaults])
    job = _as_map(monitor.get("drift")).get("job")
    if isinstance(job, dict):
        yield _view("drift", "drift", ("monitor", "drift", "job"), job, [defaults])


def _view(pipeline: str, name: str, path: tuple, raw: dict, layers: list) -> StageView:
    """`layers` are (path, settings) that a stage inherits from, weakest first; `raw` wins."""
    layers = layers + [(path, raw)]
    values: dict = {}
    origins: dict[str, Optional[tuple]] = {}
    for key in setting_keys():
        given = [(where, settings[key]) for where, settings in layers if key in settings]
        if key in MERGED_MAPS:
            values[key] = {k: v for _, value in given for k, v in _as_map(value).items()}
        else:
            values[key] = given[-1][1] if given else default(key)
        origins[key] = given[-1][0] + (key,) if given else None
    return StageView(pipeline, name, path, raw, values, origins, tuple(layers))


def _as_map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
