"""Problems found in configs, and where they are."""

from __future__ import annotations

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True, order=True)
class Location:
    """Where a value was written: 1-based line and column, and where its key starts."""

    file: str
    line: int
    col: int
    key_line: Optional[int] = None
    key_col: Optional[int] = None
    #: The config path as written in `file` (an overlay's value sits under `environments.<env>`).
    path: tuple = ()

    def at_key(self) -> "Location":
        if self.key_line is None:
            return self
        return dataclasses.replace(self, line=self.key_line, col=self.key_col)


def one_line(value: str) -> str:
    """One problem, one line: a key written as "a\\nb" must not split it, nor any other control
    character reach the terminal; they are escaped as Python writes them."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in value)


def dotted(path) -> str:
    """('pipelines', 'retrain', 'stages', 'train', 'gate', 0) -> 'pipelines.retrain.stages.train.gate[0]'
    (a step that is not a key, such as a list position, in brackets)"""
    text = ""
    for part in path:
        if not isinstance(part, str):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a config. Field order is the report's sort order."""

    file: str
    line: int
    col: int
    path: str
    message: str
    hint: str = ""
    rule: str = ""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class ConfigError(Exception):
    """A problem that stops reading a file at all (bad YAML, bad encoding, alias bomb...)."""

    def __init__(self, location: Location, message: str, hint: str = "", rule: str = "load"):
        super().__init__(message)
        self.problem = Problem(location.file, location.line, location.col, dotted(location.path),
                               message, hint, rule)
