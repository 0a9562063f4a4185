"""What a semantic rule gets to look at."""

from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class RuleContext:
    #: The effective config of one environment, already valid against the schema.
    config: dict
    environment: str
    #: The model repository's root, for rules that look at files it names.
    repo_root: Path

    @property
    def platform(self) -> dict:
        return self.config.get("platform") or {}

    @property
    def pipelines(self) -> dict:
        return self.config["pipelines"]
