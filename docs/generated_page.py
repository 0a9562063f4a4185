"""What the generators of docs/ share: write the page, or with --check say it is stale (the tests run that)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(target: Path, text: str, generator: str) -> int:
    """Exit code of `python docs/<generator>` [--check]: with --check, 1 when `target` is not `text`."""
    if "--check" in sys.argv:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run python docs/{generator}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0
