"""BASE and HEAD of `mlopsc diff`, each read as `{"<model>/<env>": {file name: parsed content}}` from

- an OUT directory `mlopsc compile` wrote (the files its manifests list);
- a folder holding configs (a model repository, or a folder searched for them): the working tree,
  compiled in memory;
- a git revision of the repository the `--repo` folder is in: that folder's files at the
  revision, from `git archive` into a temporary directory, compiled in memory. The working tree,
  the index and the refs are never touched. The platform file comes from the same revision: the
  nearest `mlops-platform.yaml` above each config up to the repository root, or `--platform` when
  it names a file inside the repository; a `--platform` outside the repository is used as it is.

A folder that has no config at a revision is an empty side (a model added in HEAD has no BASE).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Optional

import yaml

from compiler import api, discover
from compiler.render import FORMAT_VERSION, MANIFEST


class DiffInputError(Exception):
    """A side cannot be read: a bad revision, no git repository, an unreadable OUT (exit 2)."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


class SideInvalid(Exception):
    """A side's configs do not compile: its problems, located as `validate` reports them."""

    def __init__(self, label: str, problems: tuple):
        super().__init__(f"{label} does not compile: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        self.label = label
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class Side:
    label: str  # as given: "origin/main", "out"
    files: dict  # "<model>/<env>" -> file name -> parsed content


def resolve(spec: str, repository: Path, platform_file: Optional[str]) -> Side:
    """One side of the diff, as the argument names it: OUT directory, config folder, or revision."""
    path = Path(spec)
    if path.is_dir() and _is_out(path):
        return Side(spec, read_out(path))
    if path.is_dir():
        try:
            return Side(spec, _compile(path, platform_file, spec, relabel=None))
        except discover.DiscoveryError:
            raise DiffInputError(f"{spec}: no compiled output (<model>/<env>/{MANIFEST}) and no config in it",
                                 "pass an OUT directory `mlopsc compile -o` wrote, a model repository, "
                                 "or a git revision") from None
    return Side(spec, _compile_revision(spec, repository, platform_file))


def _parse(name: str, text: str) -> Any:
    """A compiled file's content as data: JSON, YAML, or else the text itself."""
    if name.endswith(".json"):
        return json.loads(text)
    if name.endswith((".yml", ".yaml")):
        return yaml.safe_load(text)
    return text


# --------------------------------------------------------------------------- OUT directories

def _is_out(path: Path) -> bool:
    """Compiled manifests one level down, and no config of its own (as `mlopsc graph` decides)."""
    return not (path / "mlops.yaml").exists() and any(path.glob(f"*/*/{MANIFEST}"))


def read_out(out: Path) -> dict:
    """Every environment `mlopsc compile -o OUT` wrote: the files each manifest lists, parsed. The
    sha256 are not checked: a diff compares content, whoever wrote it."""
    return {manifest.parent.relative_to(out).as_posix(): _read_environment(manifest.parent, out)
            for manifest in sorted(out.glob(f"*/*/{MANIFEST}"))}


def _read_environment(directory: Path, out: Path) -> dict:
    name = directory.relative_to(out).as_posix()
    manifest = _read(directory, MANIFEST, name)
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise DiffInputError(f"{out}/{name}/{MANIFEST}: output format {version!r}, this mlopsc reads format {FORMAT_VERSION}",
                             "compile it again with this mlopsc, or diff git revisions (compiled by this mlopsc)")
    files = {MANIFEST: manifest}
    for entry in manifest.get("outputs") or []:
        file = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(file, str) or Path(file).name != file or file in (".", ".."):
            raise DiffInputError(f"{out}/{name}/{MANIFEST}: output {file!r} is not a file name",
                                 "compile it again; diff reads only what mlopsc compile wrote")
        files[file] = _read(directory, file, name)
    return files


def _read(directory: Path, file: str, name: str) -> Any:
    try:
        return _parse(file, (directory / file).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise DiffInputError(f"{directory / file}: cannot be read ({str(error).splitlines()[0]})",
                             f"compile {name} again; diff reads only what mlopsc compile wrote") from None


# --------------------------------------------------------------------------- compiling configs

def _compile(folder: Path, platform_file: Optional[str], label: str, relabel: Optional[tuple]) -> dict:
    """The configs in folder compiled in memory (discover.DiscoveryError when it holds none).
    `relabel` is (extracted tree, revision): problems in files of that tree are named
    `<revision>:<path>`, as git names a file at a revision."""
    compilation = api.compile_outputs([str(folder)], platform_file)
    problems = compilation.validation.problems
    if problems:
        raise SideInvalid(label, tuple(_relabeled(p, *relabel) for p in problems) if relabel else problems)
    return {key: {name: _parse(name, text) for name, text in files.items()} for key, files in compilation.outputs.items()}


def _relabeled(problem, tree: Path, revision: str):
    try:
        relative = Path(os.path.abspath(problem.file)).resolve().relative_to(tree.resolve())
    except ValueError:
        return problem
    return dataclasses.replace(problem, file=f"{revision}:{relative.as_posix()}")


# --------------------------------------------------------------------------- git revisions

def _compile_revision(revision: str, repository: Path, platform_file: Optional[str]) -> dict:
    root, prefix = _location(repository, revision)
    commit = _commit(root, revision)
    if _git(root, "ls-tree", commit, "--", prefix or ".").stdout.strip() == b"":
        return {}
    with tempfile.TemporaryDirectory(prefix="mlopsc-diff-") as temporary:
        tree = Path(temporary)
        (tree / ".git").mkdir()  # the repository root: platform files are looked for up to here
        _extract(root, f"{commit}:{prefix}", tree / prefix)
        for path in _platform_files_above(root, commit, prefix):
            _write_blob(root, commit, path, tree)
        platform = _platform_at(root, commit, revision, platform_file, tree)
        try:
            return _compile(tree / prefix, platform, revision, relabel=(tree, revision))
        except discover.DiscoveryError:  # the folder holds no config at this revision
            return {}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffInputError("git is not installed", "install git, or pass OUT directories `mlopsc compile` wrote") from None


def _location(repository: Path, revision: str) -> tuple:
    """(repository root, the folder's path in it: "" or "a/b")."""
    if not repository.is_dir():
        raise DiffInputError(f"--repo {repository}: no such directory", "pass the model repository (default: .)")
    done = _git(repository, "rev-parse", "--show-toplevel", "--show-prefix")
    if done.returncode != 0:
        raise DiffInputError(f"{revision!r} is not a directory, and {repository} is not in a git repository "
                             "whose revisions it could name",
                             "pass two OUT directories `mlopsc compile -o` wrote, or run in a git checkout (--repo)")
    root, prefix = (done.stdout.decode("utf-8").split("\n") + [""])[:2]
    return Path(root), prefix.rstrip("/")


def _commit(root: Path, revision: str) -> str:
    done = None if revision.startswith("-") else _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if done is None or done.returncode != 0:
        raise DiffInputError(f"{revision!r} is neither a directory nor a revision of the git repository {root}",
                             "in CI, fetch the base branch first (actions/checkout with fetch-depth: 0, "
                             "or git fetch origin main)")
    return done.stdout.decode("ascii").strip()


def _extract(root: Path, tree_ish: str, destination: Path) -> None:
    done = _git(root, "archive", "--format=tar", tree_ish)
    if done.returncode != 0:
        raise DiffInputError(f"git archive {tree_ish} failed: {done.stderr.decode('utf-8', 'replace').strip()}",
                             "check that the revision exists and is complete (not a partial clone)")
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        if hasattr(tarfile, "data_filter"):  # no links out of the destination, no devices
            archive.extractall(destination, filter="data")
        else:  # pragma: no cover - Python before 3.10.12
            archive.extractall(destination)


def _platform_files_above(root: Path, commit: str, prefix: str) -> list:
    """The platform files at the revision in the folders above prefix (those below come with it)."""
    if not prefix:
        return []
    parts = prefix.split("/")
    candidates = ["/".join(parts[:depth] + ["mlops-platform.yaml"]) for depth in range(len(parts))]
    listed = _git(root, "ls-tree", "--name-only", commit, "--", *candidates).stdout.decode("utf-8")
    return [line for line in listed.splitlines() if line]


def _write_blob(root: Path, commit: str, path: str, tree: Path) -> None:
    target = tree / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_git(root, "cat-file", "blob", f"{commit}:{path}").stdout)


def _platform_at(root: Path, commit: str, revision: str, platform_file: Optional[str], tree: Path) -> Optional[str]:
    """--platform at the revision when it is inside the repository; else as given (or None: discovered)."""
    if platform_file is None:
        return None
    given = Path(platform_file).resolve()
    try:
        inside = given.relative_to(root.resolve()).as_posix()
    except ValueError:
        if not given.is_file():
            raise DiffInputError(f"--platform {platform_file}: no such file", "pass the platform team's file") from None
        return str(given)
    if _git(root, "cat-file", "-e", f"{commit}:{inside}").returncode != 0:
        raise DiffInputError(f"--platform {platform_file}: not in {revision}",
                             "a platform file inside the repository is read at each revision: commit it there, "
                             "or pass one outside the repository")
    _write_blob(root, commit, inside, tree)
    return str(tree / inside)
