"""Find the model configs that command-line paths name."""

from __future__ import annotations

import os
from pathlib import Path

from compiler.errors import InputError

CONFIG_NAME = "mlops.yaml"
#: The platform team's file, found by name when --platform is not given.
PLATFORM_NAME = "mlops-platform.yaml"
#: Folders never searched: dependencies and tool caches hold no model repositories.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env"})


class DiscoveryError(InputError):
    """A path names no config: a usage error, not an invalid config."""


def config_files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.exists() and not path.is_dir():  # any file: one that is not regular is refused when read
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
    picked up by accident. The folders are those of the config's path as written: a config that
    is a link does not bring in the platform file of the place it leads to."""
    directory = _absolute(config).parent
    for folder in (directory, *directory.parents):
        candidate = folder / PLATFORM_NAME
        # Any file by that name, links too (even broken ones): one that is not a readable regular
        # file is then refused when it is read, never silently passed over.
        if os.path.lexists(candidate) and not candidate.is_dir():
            return Path(os.path.relpath(candidate)) if _below_cwd(candidate) else candidate
        if (folder / ".git").exists():
            return None
    return None


def repository_root(config: Path) -> Path:
    """The model repository a config belongs to: the nearest folder holding `.git` above it (the
    path as written, absolute, links not resolved). Without `.git` (an exported tree, a folder
    outside git) the repository is the config's own folder, the folder its build paths are
    relative to."""
    directory = _absolute(config).parent
    return next((folder for folder in (directory, *directory.parents) if (folder / ".git").exists()), directory)


def leaves_repository(path: Path, root: Path) -> bool:
    """True when `path` lies in the repository `root` as written, but leads outside it once
    symbolic links (of the file or of a folder above it) are resolved. A path outside the
    repository as written (a `--platform` file of the platform team's own repository) is not
    the repository's file, and is not judged here."""
    written = _absolute(path)
    if not _inside(written, root):
        return False
    return not _inside(written.resolve(), root.resolve())


def outside_repository_message(what: str) -> tuple:
    """(message, hint) of a config or platform file refused by leaves_repository: the same words
    for validate, compile, diff and bootstrap."""
    return (f"the {what} is a symbolic link (or lies in a linked folder) that leads outside the repository",
            "a repository's config and platform file must be its own files: copy the file into the repository, "
            "or pass a platform file kept elsewhere with --platform at its real path")


def _absolute(path: Path) -> Path:
    """The path made absolute without resolving links ('..' removed as written)."""
    return Path(os.path.abspath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _below_cwd(path: Path) -> bool:
    return Path.cwd() in path.parents
