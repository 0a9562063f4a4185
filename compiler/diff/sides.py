"""BASE and HEAD of `mlopsc diff`: what the arguments name, each side read by compiler.sources as
`{"<model>/<env>": {file name: parsed content}}` from an OUT directory, a folder of configs, or a
git revision of the `--repo` folder.

With a revision on one side and a folder on the other, the folder must be the `--repo` folder:
both sides then hold the same models. `A...B` as the only argument is the merge base of A and B
(where B's branch left A) against B, as `git diff A...B`: what a pull request changes, whatever
its base branch did since. A folder that has no config at a revision is an empty side (a model
added in HEAD has no BASE).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from compiler import git_export, sources
from compiler.errors import InputError

#: `mlopsc diff A...B`: from the merge base of A and B to B.
RANGE = "..."


@dataclasses.dataclass(frozen=True)
class Side:
    label: str  # as given ("origin/main", "out"), or what it stands for (a merge base)
    files: dict  # "<model>/<env>" -> file name -> parsed content


def arguments(base: str, head: Optional[str]) -> tuple:
    """(BASE, HEAD, from their merge base?) as the command line names them: `BASE HEAD`, or one
    `A...B` (from where B left A, to B; `A...` is `A...HEAD`)."""
    ranged = RANGE in base and not Path(base).is_dir()
    if head is not None and ranged:
        raise InputError(f"{base} names both sides, and {head} a third",
                         f"pass `{base}` alone, or two sides: `mlopsc diff {base.partition(RANGE)[0]} {head}`")
    if head is not None:
        return base, head, False
    if not ranged:
        raise InputError(f"HEAD is missing: {base} is one side",
                         "name both sides (`mlopsc diff origin/main HEAD`), or a branch from its merge base "
                         "(`mlopsc diff origin/main...HEAD`)")
    left, _, right = base.partition(RANGE)
    return left or "HEAD", right or "HEAD", True


def check_scopes(base: str, head: str, repository: Path) -> None:
    """A revision is the --repo folder at that revision: a folder on the other side must be that
    folder, or the two sides would hold different models."""
    kinds = {sources.kind(base): base, sources.kind(head): head}
    if sources.FOLDER in kinds and sources.REVISION in kinds and \
            Path(kinds[sources.FOLDER]).resolve() != repository.resolve():
        folder, revision = kinds[sources.FOLDER], kinds[sources.REVISION]
        raise InputError(f"{folder} is not the folder {revision} is read from (--repo {repository}): "
                         "the two sides would hold different models",
                         f"name the folder on both sides: `mlopsc diff {base} {head} --repo {folder}`")


def merge_base(base: str, head: str, repository: Path) -> tuple:
    """`BASE...HEAD`: the commit HEAD's branch left BASE at, as (full id, its abbreviation for people)."""
    for spec in (base, head):
        if Path(spec).is_dir():
            raise InputError(f"{base}{RANGE}{head}: {spec} is a folder, and a merge base joins two git revisions",
                             f"compare a folder with two arguments: `mlopsc diff {base} {spec}`")
    return git_export.merge_base(base, head, repository)


def resolve(spec: str, repository: Path, platform_file: Optional[str], label: Optional[str] = None) -> Side:
    """One side of the diff, as the argument names it (`label` names it in errors, default: spec)."""
    return Side(label or spec, sources.files(spec, repository, platform_file, label))
