"""The library call `mlopsc diff` wraps: resolve both sides, compare them, flag the risks."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from compiler import redact
from compiler.diff import risks, semantic, sides
from compiler.diff.change import Diff, base_label
from compiler.errors import InputError


def compare(base: str, head: Optional[str], repository: Path, platform_file: Optional[str] = None) -> Diff:
    """BASE -> HEAD, or `A...B` (head None): the merge base of A and B -> B. Raises
    InputError (a side cannot be read, or neither holds a model) and sources.InvalidConfig (a
    side's configs do not compile)."""
    base, head, ranged = sides.arguments(base, head)
    sides.check_scopes(base, head, repository)
    commit, start = sides.merge_base(base, head, repository) if ranged else ("", "")
    label = base_label(base, head, start)
    old = sides.resolve(commit or base, repository, platform_file, label)
    new = sides.resolve(head, repository, platform_file)
    if not old.files and not new.files:
        raise InputError(f"no mlops.yaml in {repository} at {label} nor at {head}",
                         "run in the model repository, or name it with --repo")
    # Both sides hidden with the same key: equal values keep equal fingerprints, so only real
    # changes show, and no user environment value reaches text, markdown or json.
    old_files, new_files = _for_display(old.files), _for_display(new.files)
    return Diff(base, head, tuple(risks.flag(semantic.changes(old_files, new_files))), new_files, start)


def _for_display(files):
    return {side: {name: redact.for_display(data) for name, data in parsed.items()} for side, parsed in files.items()}
