"""The order of a model's environments in its delivery pipeline: the others by name, then the
production-like ones, each behind a manual approval. The model stack builds its stages in this
order, and the service-quota rule counts them: a module of its own so that `validate` does not
import the model stack (and apply, and the registry's zip) to read it."""

from __future__ import annotations

PRODUCTION_NAMES = ("prod", "production")


def is_production(environment: str) -> bool:
    return environment in PRODUCTION_NAMES or environment.startswith(tuple(f"{n}-" for n in PRODUCTION_NAMES))


def pipeline_order(environments) -> list:
    """Environments in the order the pipeline applies them: the others by name, then the
    production-like ones by name."""
    return sorted(environments, key=lambda name: (is_production(name), name))
