"""Read the platform file for the bootstrap templates.

The platform file has the keys of a config's `platform:` block at its top level. A model config
checks it as part of itself; `bootstrap platform` has no model, so compiler.checks checks the file
alone (check_platform_file: the same schema and ARN rule, and the keys the platform stack needs).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from compiler import names
from compiler.checks import check_platform_file
from compiler.load import Document
from compiler.problems import Problem

ROLES = ("pipeline", "task")


@dataclasses.dataclass(frozen=True)
class PlatformFile:
    path: Path
    document: Document

    @property
    def data(self) -> dict:
        return self.document.data

    @property
    def text(self) -> str:
        return self.document.text.decode("utf-8-sig")

    @property
    def account(self) -> str:
        return self.data["account"]

    @property
    def region(self) -> str:
        return self.data["region"]

    @property
    def partition(self) -> str:
        return self.data["roles"]["pipeline"].split(":")[1]

    @property
    def event_bus(self) -> str:
        return self.data.get("event_bus", "default")

    @property
    def kms_key(self) -> Optional[str]:
        return self.data.get("kms_key")

    def per_model(self, role: str) -> bool:
        """True when roles.<role> names one role per model (the `{model}` placeholder): the model
        stacks create those roles; the platform stack creates only shared roles."""
        return names.MODEL_PLACEHOLDER in self.data["roles"][role]

    def role_arn(self, role: str, model: str) -> str:
        return names.role_arn(self.data["roles"][role], model)


def read(path: Path) -> tuple[Optional[PlatformFile], list[Problem]]:
    """The platform file, or the problems that make it unusable for a platform stack."""
    document, problems = check_platform_file(path)
    if document is None:
        return None, problems
    return PlatformFile(path, document), []
