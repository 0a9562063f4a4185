"""The one resolver of what a command reads compiled files from, named by an argument:

- an OUT folder `mlopsc compile` wrote: read by compiler.artifacts.read;
- configs: a model repository, an mlops.yaml, or a folder searched for them (the working tree),
  compiled in memory;
- a git revision of the repository the `--repo` folder is in: that folder's files at the
  revision (exported by compiler.git_export), compiled in memory. Only `mlopsc diff` names one.

Every answer is `{"<model>/<env>": {file name: parsed content}}`, whichever the source, so a
command does not care where its files came from. Nothing is written. The compiler (`api`) and git
are imported only when configs or a revision are named: reading OUT does not pay for them.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional

from compiler import discover
from compiler.artifacts import read
from compiler.artifacts.format import MANIFEST
from compiler.errors import InputError

OUT, FOLDER, REVISION = "out", "folder", "revision"


class InvalidConfig(InputError):
    """The configs do not compile: `problems`, located as `validate` reports them. A subclass
    because the command prints those problems with validate's reporter, not one message."""

    def __init__(self, label: str, problems: tuple):
        super().__init__(f"{label} does not compile: {len(problems)} problem{'s' if len(problems) != 1 else ''}",
                         "fix the problems listed")
        self.label = label
        self.problems = problems


def kind(spec: str) -> str:
    """What an argument names: OUT (compiled output), FOLDER (configs) or else a REVISION."""
    path = Path(spec)
    if path.is_dir():
        return OUT if read.is_out(path) else FOLDER
    return REVISION


def files(spec: str, repository: Path, platform_file: Optional[str], label: Optional[str] = None) -> dict:
    """Every environment's files, from the OUT folder, config folder or revision `spec` names (a
    revision of the `repository` folder); `label` names it in errors (default: spec). A folder
    that holds no config at a revision gives no environment."""
    label = label or spec
    what = kind(spec)
    if what == OUT:
        return read.read_out(Path(spec))
    if what == FOLDER:
        try:
            return compiled([spec], platform_file, label=label)
        except discover.DiscoveryError:
            raise InputError(f"{spec}: no compiled output (<model>/<env>/{MANIFEST}) and no config in it",
                             "pass an OUT directory `mlopsc compile -o` wrote, a model repository, "
                             "or a git revision") from None
    return _revision(spec, repository, platform_file, label)


def environment_files(paths: list[str], platform_file: Optional[str], environment: str) -> dict:
    """Every model's files in one environment: from the OUT folder when PATHS is one, each checked
    against its manifest (as apply reads it), else from the configs at PATHS compiled in memory."""
    if len(paths) == 1 and kind(paths[0]) == OUT:
        return {env.directory: dict(env.files) for env in read.read_environments(Path(paths[0]), environment)}
    from compiler import api

    try:
        return compiled(paths, platform_file, environment, label=", ".join(paths))
    except (discover.DiscoveryError, api.UnknownEnvironment) as error:
        raise InputError(str(error), "pass a model repository (its mlops.yaml), or the OUT directory "
                                     "compile wrote, and one of its environments") from None


def compiled(paths: list[str], platform_file: Optional[str], environment: Optional[str] = None, label: str = "",
             relabel: Optional[tuple] = None) -> dict:
    """The configs at paths compiled in memory (discover.DiscoveryError when they hold none).
    `relabel` is (exported tree, revision): problems in files of that tree are named
    `<revision>:<path>`, as git names a file at a revision."""
    from compiler import api

    compilation = api.compile_outputs(paths, platform_file, environment)
    problems = compilation.validation.problems
    if not compilation.validation.ok:
        raise InvalidConfig(label, tuple(_relabeled(p, *relabel) for p in problems) if relabel else problems)
    return {key: {name: read.parse(name, text) for name, text in outputs.items()}
            for key, outputs in compilation.outputs.items()}


def _revision(revision: str, repository: Path, platform_file: Optional[str], label: str) -> dict:
    from compiler import git_export

    try:
        with git_export.exported(revision, repository, platform_file) as export:
            if export is None:  # the folder is not there at this revision
                return {}
            return compiled([str(export.folder)], export.platform_file, label=label, relabel=(export.tree, revision))
    except git_export.UnfollowedInputs as refused:
        raise InvalidConfig(label, refused.problems) from None
    except discover.DiscoveryError:  # the folder holds no config at this revision
        return {}


def _relabeled(problem, tree: Path, revision: str):
    """The problem with every path of the temporary tree named as git names it, `<revision>:<path>`."""
    folder = f"{tree.resolve().as_posix()}/"
    message, hint = (text.replace(folder, f"{revision}:") for text in (problem.message, problem.hint))
    try:
        relative = Path(os.path.abspath(problem.file)).resolve().relative_to(tree.resolve())
    except ValueError:
        return dataclasses.replace(problem, message=message, hint=hint)
    return dataclasses.replace(problem, file=f"{revision}:{relative.as_posix()}", message=message, hint=hint)
