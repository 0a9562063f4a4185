"""Resolve a config into one effective document per environment.

base config  +  --platform file  (a key given by both must agree: rule platform-conflict)
             +  environments.<env> overlay (deep merge: maps merge, lists and scalars replace)

Every value keeps the location where it was written, so a problem found in the effective
document of `prod` points at the line of the `prod` overlay (or of the platform file) that set it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from compiler.load import Document

DEFAULT_ENVIRONMENT = "default"
#: Keys an overlay may set; `model` and `runtimes` are the same in every environment.
OVERLAY_KEYS = ("platform", "stage_defaults", "pipelines", "build", "monitor")


@dataclasses.dataclass(frozen=True)
class Effective:
    """The config of one environment, as plain data, with where each value came from."""

    environment: str
    data: dict
    locations: dict


def environment_names(document: Document) -> list[str]:
    overlays = document.data.get("environments")
    if isinstance(overlays, dict) and overlays:
        return sorted(overlays)
    return [DEFAULT_ENVIRONMENT]


def resolve(document: Document, platform: Optional[Document], environment: str) -> Effective:
    base = {key: value for key, value in document.data.items() if key != "environments"}
    locations = {path: loc for path, loc in document.locations.items() if path[:1] != ("environments",)}
    data = dict(base)
    if platform is not None:
        inline = base.get("platform") if isinstance(base.get("platform"), dict) else {}
        data["platform"] = _merge(platform.data, inline)
        merged_locations = {("platform",) + path: loc for path, loc in platform.locations.items() if path}
        merged_locations.update({path: loc for path, loc in locations.items() if path[:1] == ("platform",)})
        locations = {**locations, **merged_locations}
        locations.setdefault(("platform",), platform.locations[()])
    overlays = document.data.get("environments")
    overlay = overlays.get(environment) if isinstance(overlays, dict) else None
    if isinstance(overlay, dict):
        prefix = ("environments", environment)
        for key in OVERLAY_KEYS:
            if key not in overlay:
                continue
            data[key] = _merge(data.get(key), overlay[key])
            for path, loc in document.locations.items():
                if path[:3] == prefix + (key,):
                    locations[path[2:]] = loc
    return Effective(environment, data, locations)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return over

