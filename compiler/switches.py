"""Which pipelines (and the monitor section) are switched on in one effective config: `enabled:
false` in an environment's overlay switches one off there (overlays cannot delete a key). The
checks and the model read it through these functions: a switched-off pipeline's settings are
still checked like any others, and the model leaves it out, so nothing is rendered for it."""

from __future__ import annotations

#: The pipelines a config writes under `pipelines`, in their fixed order (the drift pipeline is
#: the monitor section's: `monitor.enabled`).
PIPELINES = ("retrain", "deploy", "batch")


def is_on(section) -> bool:
    """A section that is written and not switched off."""
    return isinstance(section, dict) and section.get("enabled", True) is not False


def enabled_pipelines(config: dict) -> tuple:
    pipelines = config.get("pipelines") or {}
    return tuple(name for name in PIPELINES if is_on(pipelines.get(name)))


def disabled_pipelines(config: dict) -> tuple:
    """The pipelines written but switched off (`enabled: false`)."""
    pipelines = config.get("pipelines") or {}
    return tuple(name for name in PIPELINES if isinstance(pipelines.get(name), dict) and not is_on(pipelines[name]))


def monitor_on(config: dict) -> bool:
    return is_on(config.get("monitor"))
