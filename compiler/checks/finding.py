"""What a check reports: a config path, never a line number (the location comes from the path)."""

from __future__ import annotations

import dataclasses
import difflib
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Finding:
    path: tuple
    message: str
    hint: str = ""
    rule: str = ""
    #: Point at the key rather than the value (unknown keys, names that are too long).
    at_key: bool = False
    #: Where to point when `path` itself was never written (a missing required key).
    anchor: Optional[tuple] = None


SENSITIVE_KEYS = frozenset({"environment", "secrets", "build_args"})


def is_sensitive(path: tuple) -> bool:
    """Values under these keys may be secrets: never echo them back."""
    return any(part in SENSITIVE_KEYS for part in path if isinstance(part, str))


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
