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


class PlatformNames:
    """What the stacks read of a platform: its keys (`data`, as the platform file has them) and
    the names derived from them."""

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


@dataclasses.dataclass(frozen=True)
class PlatformFile(PlatformNames):
    path: Path
    document: Document

    @property
    def data(self) -> dict:
        return self.document.data

    @property
    def text(self) -> str:
        return self.document.text.decode("utf-8-sig")


@dataclasses.dataclass(frozen=True)
class AccountPlatform(PlatformNames):
    """The platform of an account that receives deployments, as the model's environments there
    name it (the platform file with their `platform:` overlay, compiler.model.Platform). Its roles
    are the environments' role ARNs, `{model}` already replaced: the target stack makes them."""

    data: dict

    @classmethod
    def of(cls, platform) -> "AccountPlatform":
        data = {"account": platform.account, "region": platform.region, "artifact_bucket": platform.artifact_bucket,
                "registry_table": platform.registry_table, "event_bus": platform.event_bus,
                "notification_topic": platform.notification_topic,
                "roles": {"pipeline": platform.pipeline_role, "task": platform.task_role}}
        if platform.ecs_cluster:
            data["ecs_cluster"] = platform.ecs_cluster
        if platform.kms_key:
            data["kms_key"] = platform.kms_key
        return cls(data)


def read(path: Path) -> tuple[Optional[PlatformFile], list[Problem]]:
    """The platform file, or the problems that make it unusable for a platform stack."""
    document, problems = check_platform_file(path)
    if document is None:
        return None, problems
    return PlatformFile(path, document), []
