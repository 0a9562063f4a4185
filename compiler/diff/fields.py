"""A structural diff of two parsed documents (JSON or YAML data): every leaf added, removed or
changed, at its path. Pure, and blind to key order and formatting.

Lists of objects that name themselves (a Retry entry by its `ErrorEquals`, a tag by its `Key`, a
policy statement by its `Sid`...) are matched by that identity, so inserting one entry does not
shift every later one; other lists are aligned like lines of text (difflib), so one inserted
command reads as one insertion. The lists under UNORDERED_KEYS are sets: `ErrorEquals` names the
same errors in any order (and a Retry or Catch entry is known by them, in any order).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from typing import Any, Iterator

from compiler.problems import dotted

#: Keys that identify an entry of a list of objects, tried in this order; a key qualifies when every
#: entry on both sides has it and its values are distinct on each side.
IDENTITY_KEYS = ("ErrorEquals", "Sid", "Name", "Id", "Key", "ChannelName", "OutputName", "AlarmName", "path")
#: Keys whose lists mean a set: compared, and identify an entry, whatever their order.
UNORDERED_KEYS = frozenset({"ErrorEquals"})


@dataclasses.dataclass(frozen=True)
class Entry:
    """A path step to the list entry whose identity key has this value (shown `[States.ALL]`)."""

    identity: str

    def __str__(self) -> str:
        return self.identity


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


#: The value of the side that has none (an added field has no old value).
ABSENT: Any = _Absent()


def differences(old: Any, new: Any, path: tuple = ()) -> Iterator[tuple]:
    """(path, old, new) for every difference; ABSENT on the side without a value; keys sorted."""
    return ((where, before, after) for where, before, after, _ in differences_within(old, new, path))


def differences_within(old: Any, new: Any, path: tuple = (), within: tuple = (ABSENT, ABSENT)) -> Iterator[tuple]:
    """(path, old, new, (old container, new container)) for every difference: the container is the
    object or list holding the value on each side (`within` for the values given)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            yield from differences_within(old.get(key, ABSENT), new.get(key, ABSENT), path + (key,), (old, new))
    elif isinstance(old, list) and isinstance(new, list):
        yield from _list_differences(old, new, path)
    elif not _same_leaf(old, new):
        yield path, old, new, within


def _same_leaf(old: Any, new: Any) -> bool:
    """Equal values; `true` is not `1` (Python says it is), `2` is `2.0`."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return old == new


def same(old: Any, new: Any) -> bool:
    return next(differences(old, new), None) is None


def _list_differences(old: list, new: list, path: tuple) -> Iterator[tuple]:
    key = _identity_key(old, new)
    if key is not None:
        old_by, new_by = ({_identity(item[key]): item for item in side} for side in (old, new))
        for identity in sorted(set(old_by) | set(new_by)):
            yield from differences_within(old_by.get(identity, ABSENT), new_by.get(identity, ABSENT),
                                          path + (Entry(identity),), (old, new))
        return
    if path and path[-1] in UNORDERED_KEYS:
        old, new = sorted(old, key=canonical), sorted(new, key=canonical)
    matcher = difflib.SequenceMatcher(None, [canonical(v) for v in old], [canonical(v) for v in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for offset in range(paired):
            yield from differences_within(old[i1 + offset], new[j1 + offset], path + (i1 + offset,), (old, new))
        for index in range(i1 + paired, i2):
            yield path + (index,), old[index], ABSENT, (old, new)
        for index in range(j1 + paired, j2):
            yield path + (index,), ABSENT, new[index], (old, new)


def _identity_key(old: list, new: list):
    items = old + new
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in IDENTITY_KEYS:
        if all(key in item for item in items) and all(
                len({_identity(item[key]) for item in side}) == len(side) for side in (old, new)):
            return key
    return None


def _identity(value: Any) -> str:
    """An entry's name: a list of names (ErrorEquals) in sorted order, so their order does not count."""
    if isinstance(value, list):
        return ",".join(sorted(str(v) for v in value))
    return value if isinstance(value, str) else canonical(value)


def canonical(value: Any) -> str:
    """One text per value, whatever its key order: for matching and sorting."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def format_path(path: tuple) -> str:
    """("Retry", Entry("States.ALL"), "MaxAttempts") -> "Retry[States.ALL].MaxAttempts"; positions as [3]."""
    return dotted(path) if path else ""
