"""The records a diff is made of: one `Change` per thing that differs, and their reading order."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from compiler.diff.fields import ABSENT, canonical, format_path

#: Every kind of change, in the order a state's changes are read (renames first, fields last).
KINDS = (
    "model-added", "model-removed", "environment-added", "environment-removed", "file-added", "file-removed",
    "state-renamed", "state-added", "state-removed",
    "transition-changed", "transition-added", "transition-removed",
    "condition-changed", "condition-added", "condition-removed",
    "field-changed", "field-added", "field-removed",
)
_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
#: Pipelines in the order they run in a model's life; other files after them, by name.
PIPELINE_ORDER = ("retrain", "deploy", "batch")
ASL_SUFFIX = ".asl.json"


@dataclasses.dataclass(frozen=True)
class Change:
    """One difference. `scope` + `state` name a state (scope: the enclosing Map/Parallel states,
    outermost first); `path` is a tuple of keys, list positions and `fields.Entry` identities (a
    condition's path is its variable, a transition's its kind); `old`/`new` are parsed values,
    ABSENT on the side that has none. `risk` says why a reviewer must look (see risks.py).
    `context` is, for a field of a file other than a state machine, the (old, new) objects that
    hold it (an alarm, for its `Threshold`): for the risk rules, not shown nor compared."""

    kind: str
    model: str = ""
    environment: str = ""
    file: str = ""
    scope: tuple = ()
    state: str = ""
    path: tuple = ()
    old: Any = ABSENT
    new: Any = ABSENT
    risk: str = ""
    context: tuple = dataclasses.field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, subject: str, old: Any, new: Any, **where) -> "Change":
        """`<subject>-added`, `-removed` or `-changed`, as the sides have values: Change.of("field", 1, 2, path=...)."""
        outcome = "added" if old is ABSENT else "removed" if new is ABSENT else "changed"
        return cls(f"{subject}-{outcome}", old=old, new=new, **where)

    @property
    def pipeline(self) -> str:
        return pipeline_of(self.file)


def pipeline_of(file: str) -> str:
    """The pipeline an ASL file holds ("retrain.asl.json" -> "retrain"), else ""."""
    return file[: -len(ASL_SUFFIX)] if file.endswith(ASL_SUFFIX) else ""


def file_rank(name: str) -> tuple:
    """State machines first, in pipeline order, then the other files by name."""
    pipeline = pipeline_of(name)
    if not pipeline:
        return (1, 0, name)
    return (0, PIPELINE_ORDER.index(pipeline) if pipeline in PIPELINE_ORDER else len(PIPELINE_ORDER), name)


def sort_key(change: Change) -> tuple:
    """Deterministic reading order: model, environment, file, then state by name, then kind."""
    return (change.model, change.environment, file_rank(change.file), change.scope, change.state,
            _KIND_RANK[change.kind], format_path(change.path), _canonical(change.old), _canonical(change.new))


def _canonical(value: Any) -> str:
    return "" if value is ABSENT else canonical(value)


def group_key(change: Change) -> tuple:
    """The group a change is shown in: a model, an environment, or one file of an environment."""
    return (change.model, change.environment, change.file)


@dataclasses.dataclass(frozen=True)
class Diff:
    """The result of `mlopsc diff`: the changes in reading order, flagged, and HEAD's parsed files
    (`"model/env"` -> file name -> data), which markdown draws graphs from. `merge_base` is the
    commit compared with HEAD when the command said `BASE...HEAD` (abbreviated), else ""."""

    base: str
    head: str
    changes: tuple
    head_files: Mapping[str, Mapping[str, Any]]
    merge_base: str = ""

    @property
    def flagged(self) -> tuple:
        return tuple(change for change in self.changes if change.risk)

    @property
    def arguments(self) -> str:
        """The sides as the command line named them: `main HEAD`, or `main...HEAD`."""
        return f"{self.base}...{self.head}" if self.merge_base else f"{self.base} {self.head}"

    @property
    def span(self) -> str:
        """What was compared, for people: `main to HEAD`, or `3f2a1bc (the merge base of main and HEAD) to HEAD`."""
        return f"{base_label(self.base, self.head, self.merge_base)} to {self.head}"


def base_label(base: str, head: str, merge_base: str) -> str:
    """The base side, for people: `main`, or `3f2a1bc (the merge base of main and HEAD)`."""
    return f"{merge_base} (the merge base of {base} and {head})" if merge_base else base
