"""The inline `platform:` block and the platform file (--platform, or the nearest
mlops-platform.yaml) agree on every key both give: the platform file wins nothing silently."""

from __future__ import annotations

from typing import Any, Iterator

from compiler.checks.finding import Finding
from compiler.load import Document

RULE = "platform-conflict"
DESCRIPTION = "A key given by both the inline platform: block and the platform file has the same value in both"
HINT = ("the platform file wins nothing silently: remove the key here or make both agree; "
        "an environment overlay may override platform keys")
_MISSING = object()


def check_files(config: Document, platform: Document) -> Iterator[Finding]:
    """Keys that the config's inline `platform:` block and the platform file both give, differently."""
    inline = config.data.get("platform")
    if not isinstance(inline, dict):
        return
    for path, value in _leaves(inline, ("platform",)):
        theirs = _lookup(platform.data, path[1:])
        if theirs is _MISSING or theirs == value:
            continue
        other = platform.locations[path[1:]]
        yield Finding(path, f"conflicts with the platform file ({other.file}:{other.line} gives another value)",
                      HINT, RULE)


def _leaves(value: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    else:
        yield path, value


def _lookup(value: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value
