"""Which settings a stage ends up with: its own, else `stage_defaults`, else the schema default.

Shared by the checks (to point at the line that set a value) and by `resolve` (to build the
model), so the two can never disagree about inheritance.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Optional

from compiler import resources

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

    def origin(self, key: str, sub: Optional[str] = None) -> tuple:
        """The config path that set `key` (or the entry `sub` of a map setting)."""
        if sub is not None:
            own = self.raw.get(key)
            return self.path + (key, sub) if isinstance(own, dict) and sub in own else ("stage_defaults", key, sub)
        return self.origins.get(key) or self.path


def stage_defaults_schema() -> dict:
    return resources.schema()["$defs"]["stage_settings"]["properties"]


def setting_keys() -> tuple:
    return tuple(stage_defaults_schema())


def default(key: str) -> Any:
    spec = stage_defaults_schema()[key]
    return spec.get("default")


def iter_stages(config: dict) -> Iterator[StageView]:
    """Every stage of every pipeline in the fixed order, batch last."""
    pipelines = config.get("pipelines") or {}
    defaults = config.get("stage_defaults") or {}
    stages = (pipelines.get("retrain") or {}).get("stages") or {}
    for name in RETRAIN_STAGES:
        if isinstance(stages.get(name), dict):
            yield _view("retrain", name, ("pipelines", "retrain", "stages", name), stages[name], defaults)
    if isinstance(pipelines.get("batch"), dict):
        yield _view("batch", "batch", ("pipelines", "batch"), pipelines["batch"], defaults)


def _view(pipeline: str, name: str, path: tuple, raw: dict, defaults: dict) -> StageView:
    values: dict = {}
    origins: dict[str, Optional[tuple]] = {}
    for key in setting_keys():
        if key in MERGED_MAPS:
            values[key] = {**_as_map(defaults.get(key)), **_as_map(raw.get(key))}
            origins[key] = path + (key,) if key in raw else ("stage_defaults", key) if key in defaults else None
        elif key in raw:
            values[key], origins[key] = raw[key], path + (key,)
        elif key in defaults:
            values[key], origins[key] = defaults[key], ("stage_defaults", key)
        else:
            values[key], origins[key] = default(key), None
    return StageView(pipeline, name, path, raw, values, origins)


def _as_map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
