"""Write compiled outputs: all or nothing, and only what changed. Also the `--check` mode."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

#: dir relative to OUT ("model/env") -> file name -> content
Outputs = dict[str, dict[str, str]]


@dataclasses.dataclass(frozen=True)
class WriteResult:
    written: tuple  # directories replaced
    unchanged: tuple


def stale_files(out: Path, outputs: Outputs) -> list[str]:
    """Paths (relative to OUT) that differ from what a compile would write; [] when current."""
    stale = []
    for directory, files in sorted(outputs.items()):
        target = out / directory
        present = {p.name for p in target.iterdir() if p.is_file()} if target.is_dir() else set()
        for name in sorted(present | set(files)):
            path = target / name
            if name not in files or name not in present or path.read_bytes() != files[name].encode("utf-8"):
                stale.append(f"{directory}/{name}")
    return stale


def write(out: Path, outputs: Outputs) -> WriteResult:
    """Stage every changed directory next to its place, then swap them in. A failure while
    staging or swapping leaves OUT exactly as it was."""
    out.mkdir(parents=True, exist_ok=True)
    changed = [d for d in sorted(outputs) if stale_files(out, {d: outputs[d]})]
    staged: list[tuple[str, Path]] = []
    try:
        for directory in changed:
            staging = Path(tempfile.mkdtemp(prefix=".mlopsc-", dir=out))
            # Recorded before it is filled: a failure halfway through must remove it too.
            staged.append((directory, staging))
            for name, text in outputs[directory].items():
                (staging / name).write_bytes(text.encode("utf-8"))
            staging.chmod(0o755)
        if staged:
            _swap_all(out, staged)
    except BaseException:
        for _, staging in staged:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteResult(tuple(changed), tuple(d for d in sorted(outputs) if d not in changed))


def _swap_all(out: Path, staged: list[tuple[str, Path]]) -> None:
    """Move every staged directory into its place. If one move fails, the directories already
    replaced are put back, so OUT is never left half updated."""
    retired_root = Path(tempfile.mkdtemp(prefix=".mlopsc-old-", dir=out))
    moved: list[list] = []  # [target, retired copy or None, parent created?, new one installed?]
    try:
        for index, (directory, staging) in enumerate(staged):
            target = out / directory
            created = not target.parent.exists()
            target.parent.mkdir(parents=True, exist_ok=True)
            entry = [target, None, created, False]
            moved.append(entry)
            if target.exists():
                entry[1] = retired_root / f"old-{index}"
                os.replace(target, entry[1])
            os.replace(staging, target)
            entry[3] = True
    except BaseException:
        for index, (target, retired, created, installed) in reversed(list(enumerate(moved))):
            if installed:
                os.replace(target, retired_root / f"new-{index}")
            if retired is not None:
                os.replace(retired, target)
            if created:
                try:
                    target.parent.rmdir()
                except OSError:
                    pass
        raise
    finally:
        shutil.rmtree(retired_root, ignore_errors=True)
