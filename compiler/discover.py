"""Find the model configs that command-line paths name."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_NAME = "mlops.yaml"
#: The platform team's file, found by name when --platform is not given.
PLATFORM_NAME = "mlops-platform.yaml"
#: Folders never searched: dependencies and tool caches hold no model repositories.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env"})


class DiscoveryError(Exception):
    """A path names no config: a usage error, not an invalid config."""


def config_files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_file():
            found.append(path)
        elif (path / CONFIG_NAME).is_file():
            found.append(path / CONFIG_NAME)
        elif path.is_dir():
            below = _search(path)
            if not below:
                raise DiscoveryError(f"no {CONFIG_NAME} found in {given} or below it")
            found.extend(below)
        else:
            raise DiscoveryError(f"{given}: no such file or directory")
    return sorted(set(found), key=lambda p: p.as_posix())


def _search(top: Path) -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(top):
        subdirs[:] = sorted(d for d in subdirs if not _skipped(Path(directory) / d))
        if CONFIG_NAME in files:
            found.append(Path(directory) / CONFIG_NAME)
    return found


def _skipped(directory: Path) -> bool:
    name = directory.name
    return name.startswith(".") or name in SKIPPED_DIRS or (directory / "pyvenv.cfg").exists()


def platform_file_for(config: Path) -> Path | None:
    """The nearest mlops-platform.yaml in the config's folder or above it, stopping at the
    repository root (the folder holding `.git`), so that a file outside the checkout is never
    picked up by accident."""
    directory = config.resolve().parent
    for folder in (directory, *directory.parents):
        candidate = folder / PLATFORM_NAME
        if candidate.is_file():
            return Path(os.path.relpath(candidate)) if _below_cwd(candidate) else candidate
        if (folder / ".git").exists():
            return None
    return None


def _below_cwd(path: Path) -> bool:
    return Path.cwd() in path.parents
