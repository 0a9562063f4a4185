"""Short, readable differences between what AWS has and what OUT wants (the plan's detail lines)."""

from __future__ import annotations

import json
from typing import Any, Iterator

from compiler import redact

#: A plan shows at most this many detail lines per resource; the ASL diff in the pull request has the rest.
MAX_LINES = 8


def changes(current: Any, desired: Any) -> tuple:
    lines = list(_walk(redact.for_display(current), redact.for_display(desired), ""))
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"... and {len(lines) - MAX_LINES} more"]
    return tuple(lines)


def _walk(current: Any, desired: Any, path: str) -> Iterator[str]:
    if isinstance(current, dict) and isinstance(desired, dict):
        for key in sorted(set(current) | set(desired), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in current:
                yield f"+ {where}"
            elif key not in desired:
                yield f"- {where}"
            else:
                yield from _walk(current[key], desired[key], where)
    elif isinstance(current, list) and isinstance(desired, list) and len(current) == len(desired):
        # Item by item, so that a line names the field that changed, not a cut-off list.
        for index, (was, wanted) in enumerate(zip(current, desired)):
            yield from _walk(was, wanted, f"{path}[{index}]")
    elif current != desired:
        yield f"~ {path or 'value'}: {_short(current)} -> {_short(desired)}"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
