"""Dockerfiles, build contexts, the `code` folders of prebuilt images and the Python project the
build publishes (`build.publish.package`, with its pyproject.toml) exist and stay inside the
repository (no `..`, no symlink escape)."""

import os
from pathlib import Path, PurePosixPath

from compiler.checks.finding import Finding

RULE = "build-path"
DESCRIPTION = ("Dockerfiles, build contexts, `code` folders and the published Python project exist and stay inside "
               "the repository")


def check(context):
    root = context.repo_root.resolve()
    for name, runtime in sorted(context.config["runtimes"].items()):
        base = ("runtimes", name)
        if "dockerfile" in runtime:  # runtime-image reports a runtime with neither
            yield from _check_path(root, runtime["dockerfile"], base + ("dockerfile",), want_dir=False)
            yield from _check_path(root, runtime.get("context", "."), base + ("context",), want_dir=True)
        if "code" in runtime:
            yield from _check_path(root, runtime["code"], base + ("code",), want_dir=True)
    package = ((context.config.get("build") or {}).get("publish") or {}).get("package")
    if package is not None:
        yield from _check_project(root, package, ("build", "publish", "package"))


def _check_project(root: Path, written: str, path: tuple):
    """A folder the build runs `python -m build` in: its pyproject.toml names the project."""
    problems = list(_check_path(root, written, path, want_dir=True))
    if problems:
        yield from problems
    elif not (root / PurePosixPath(written) / "pyproject.toml").is_file():
        yield Finding(path, "holds no pyproject.toml", "the published package is a Python project whose "
                      "pyproject.toml declares [project] name and version (PEP 621)", RULE)


def _check_path(root: Path, written: str, path: tuple, want_dir: bool):
    pure = PurePosixPath(written)
    if pure.is_absolute() or "\\" in written:
        yield Finding(path, "must be a path relative to the repository root",
                      "write it with '/' separators, relative to the folder holding mlops.yaml", RULE)
        return
    target = root / pure
    if ".." in pure.parts and not _inside(root, Path(os.path.normpath(target))):
        yield Finding(path, "points outside the repository", "the build may only use files of this repository", RULE)
        return
    if not target.exists():
        kind = "directory" if want_dir else "file"
        yield Finding(path, f"{kind} does not exist in the repository", "paths are relative to the folder holding mlops.yaml", RULE)
        return
    if not _inside(root, target.resolve()):
        yield Finding(path, "is a symbolic link that leads outside the repository",
                      "the build may only use files of this repository", RULE)
    elif want_dir and not target.is_dir():
        yield Finding(path, "must be a directory", "", RULE)
    elif not want_dir and not target.is_file():  # a FIFO or a device would hang or never end the build
        yield Finding(path, "must be a regular file, not a directory" if target.is_dir() else "must be a regular file",
                      "name the Dockerfile itself (a symbolic link to one inside the repository is followed)", RULE)


def _inside(root: Path, target: Path) -> bool:
    return target == root or root in target.parents
