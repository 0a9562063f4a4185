"""Read the platform file for the bootstrap templates, and report its problems at their lines.

The platform file has the keys of a config's `platform:` block at its top level. A model config
checks it as part of itself; `bootstrap platform` has no model, so the same schema and ARN rule
run here on the file alone, and the keys the platform stack needs are required.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, Optional

from compiler import names
from compiler.checks import load_platform, schema
from compiler.checks.rule_context import RuleContext
from compiler.checks.finding import Finding
from compiler.checks.rules import arns
from compiler.load import Document
from compiler.problems import Problem, dotted

#: Keys the platform stack cannot be made without (the rest are optional).
REQUIRED = ("account", "region", "artifact_bucket", "registry_table", "notification_topic", "roles")
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
    document, problems = load_platform(path)
    if document is None:
        return None, list(problems)
    findings = list(_schema_findings(document.data))
    findings += [Finding((key,), f"missing required key '{key}'", "the platform stack needs it", "platform-required",
                         at_key=True, anchor=()) for key in REQUIRED if key not in document.data]
    if not findings:
        context = RuleContext({"platform": document.data}, "platform", path.parent)
        findings += [dataclasses.replace(finding, path=finding.path[1:]) for finding in arns.check(context)]
    if findings:
        return None, sorted({_problem(finding, document) for finding in findings})
    return PlatformFile(path, document), []


def _schema_findings(data: dict) -> Iterable[Finding]:
    """The schema's findings about `platform`, checked as if the file were a config's block."""
    for finding in schema.check({"platform": data}):
        if finding.path[:1] == ("platform",):
            anchor = finding.anchor[1:] if finding.anchor is not None else None
            yield dataclasses.replace(finding, path=finding.path[1:], anchor=anchor)


def _problem(finding: Finding, document: Document) -> Problem:
    """Where a finding points in the file: its path, or the nearest enclosing value written down."""
    found = finding.anchor if finding.anchor is not None else finding.path
    while found not in document.locations and found:
        found = found[:-1]
    location = document.locations[found]
    if finding.at_key or found != finding.path:
        location = location.at_key()
    return Problem(location.file, location.line, location.col, dotted(finding.path),
                   finding.message, finding.hint, finding.rule)
