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
    staging leaves OUT exactly as it was."""
    out.mkdir(parents=True, exist_ok=True)
    changed = [d for d in sorted(outputs) if stale_files(out, {d: outputs[d]})]
    staged: list[tuple[str, Path]] = []
    try:
        for directory in changed:
            staging = Path(tempfile.mkdtemp(prefix=".mlopsc-", dir=out))
            for name, text in outputs[directory].items():
                (staging / name).write_bytes(text.encode("utf-8"))
            staged.append((directory, staging))
    except BaseException:
        for _, staging in staged:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    for directory, staging in staged:
        _swap(out / directory, staging)
    return WriteResult(tuple(changed), tuple(d for d in sorted(outputs) if d not in changed))


def _swap(target: Path, staging: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.chmod(0o755)
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=".mlopsc-old-", dir=staging.parent))
        os.replace(target, retired / "old")
        os.replace(staging, target)
        shutil.rmtree(retired)
    else:
        os.replace(staging, target)
