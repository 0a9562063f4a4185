"""BASE and HEAD of `mlopsc diff`, each read as `{"<model>/<env>": {file name: parsed content}}` from

- an OUT directory `mlopsc compile` wrote (the files its manifests list);
- a folder holding configs (a model repository, or a folder searched for them): the working tree,
  compiled in memory. With a revision on the other side it must be the `--repo` folder: both
  sides then hold the same models;
- a git revision of the repository the `--repo` folder is in: that folder's files at the
  revision, compiled in memory. The working tree, the index and the refs are never touched. The
  platform file comes from the same revision: the nearest `mlops-platform.yaml` above each config
  up to the repository root, or `--platform` when it names a file inside the repository; a
  `--platform` outside the repository is used as it is.

`A...B` as the only argument is the merge base of A and B (where B's branch left A) against B, as
`git diff A...B`: what a pull request changes, whatever its base branch did since.

A revision's files are read with `git ls-tree -r -z` and streamed from `git cat-file --batch` into
a temporary folder, as regular files (`.gitattributes` export-ignore does not hide any). A symbolic
link that leads to a file inside the repository at that revision is written as that file; one
that leads to a folder is not followed (as discovery's walk of a working tree does not follow
it); one that leads out of the repository, to nothing or into a loop is left out: what is outside
the repository is not part of the revision. A config or platform file that is such a link is
refused, as validate and compile refuse it in a working tree (discover.leaves_repository), rather
than left out: the side would silently lose a model. No link is ever created.

A folder that has no config at a revision is an empty side (a model added in HEAD has no BASE).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml

from compiler import api, discover
from compiler.artifacts import write
from compiler.artifacts import read as compiled
from compiler.files import COMPILED_OUTPUT_BYTES, UnreadableFile, read_text_bounded
from compiler.problems import Problem, dotted
from compiler.artifacts.format import FORMAT_VERSION, MANIFEST

#: `mlopsc diff A...B`: from the merge base of A and B to B.
RANGE = "..."
#: `git ls-tree` modes of a regular file (executable or not) and of a symbolic link; submodules are left out.
_FILE_MODES = (b"100644", b"100755")
_LINK_MODE = b"120000"
#: A revision's folder holding more files than this is refused (a repository of data, not of a model).
MAX_FILES = 100_000
_CHUNK = 1 << 20
#: What _follow says of a link it cannot follow to an object inside the repository.
_UNFOLLOWED = "unfollowed"


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
    label: str  # as given ("origin/main", "out"), or what it stands for (a merge base)
    files: dict  # "<model>/<env>" -> file name -> parsed content


def arguments(base: str, head: Optional[str]) -> tuple:
    """(BASE, HEAD, from their merge base?) as the command line names them: `BASE HEAD`, or one
    `A...B` (from where B left A, to B; `A...` is `A...HEAD`)."""
    ranged = RANGE in base and not Path(base).is_dir()
    if head is not None and ranged:
        raise DiffInputError(f"{base} names both sides, and {head} a third",
                             f"pass `{base}` alone, or two sides: `mlopsc diff {base.partition(RANGE)[0]} {head}`")
    if head is not None:
        return base, head, False
    if not ranged:
        raise DiffInputError(f"HEAD is missing: {base} is one side",
                             "name both sides (`mlopsc diff origin/main HEAD`), or a branch from its merge base "
                             "(`mlopsc diff origin/main...HEAD`)")
    left, _, right = base.partition(RANGE)
    return left or "HEAD", right or "HEAD", True


def kind(spec: str) -> str:
    """What a side's argument names: "out" (compiled output), "folder" (configs) or "revision"."""
    path = Path(spec)
    if path.is_dir():
        return "out" if compiled.is_out(path) else "folder"
    return "revision"


def check_scopes(base: str, head: str, repository: Path) -> None:
    """A revision is the --repo folder at that revision: a folder on the other side must be that
    folder, or the two sides would hold different models."""
    kinds = {kind(base): base, kind(head): head}
    if "folder" in kinds and "revision" in kinds and Path(kinds["folder"]).resolve() != repository.resolve():
        folder, revision = kinds["folder"], kinds["revision"]
        raise DiffInputError(f"{folder} is not the folder {revision} is read from (--repo {repository}): "
                             "the two sides would hold different models",
                             f"name the folder on both sides: `mlopsc diff {base} {head} --repo {folder}`")


def resolve(spec: str, repository: Path, platform_file: Optional[str], label: Optional[str] = None) -> Side:
    """One side of the diff, as the argument names it: OUT directory, config folder, or revision
    (`label` names it in errors, default: spec)."""
    label = label or spec
    what = kind(spec)
    if what == "out":
        return Side(label, read_out(Path(spec)))
    if what == "folder":
        try:
            return Side(label, _compile(Path(spec), platform_file, label, relabel=None))
        except discover.DiscoveryError:
            raise DiffInputError(f"{spec}: no compiled output (<model>/<env>/{MANIFEST}) and no config in it",
                                 "pass an OUT directory `mlopsc compile -o` wrote, a model repository, "
                                 "or a git revision") from None
    return Side(label, _compile_revision(spec, repository, platform_file, label))


def _parse(name: str, text: str) -> Any:
    """A compiled file's content as data: JSON, YAML, or else the text itself."""
    if name.endswith(".json"):
        return json.loads(text)
    if name.endswith((".yml", ".yaml")):
        return yaml.safe_load(text)
    return text


# --------------------------------------------------------------------------- OUT directories

def read_out(out: Path) -> dict:
    """Every environment `mlopsc compile -o OUT` wrote: the files each manifest lists, parsed. The
    sha256 are not checked: a diff compares content, whoever wrote it."""
    try:
        write.check_finished(out)
    except write.UnfinishedWrite as error:
        raise DiffInputError(str(error), error.hint) from None
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
        return _parse(file, read_text_bounded(directory / file, COMPILED_OUTPUT_BYTES, "compiled output"))
    except UnreadableFile as error:
        raise DiffInputError(str(error), f"{error.hint}; compile {name} again: diff reads only what mlopsc compile wrote") from None
    except (ValueError, yaml.YAMLError) as error:
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
    """The problem with every path of the temporary tree named as git names it, `<revision>:<path>`."""
    folder = f"{tree.resolve().as_posix()}/"
    message, hint = (text.replace(folder, f"{revision}:") for text in (problem.message, problem.hint))
    try:
        relative = Path(os.path.abspath(problem.file)).resolve().relative_to(tree.resolve())
    except ValueError:
        return dataclasses.replace(problem, message=message, hint=hint)
    return dataclasses.replace(problem, file=f"{revision}:{relative.as_posix()}", message=message, hint=hint)


# --------------------------------------------------------------------------- git revisions

def merge_base(base: str, head: str, repository: Path) -> tuple:
    """`BASE...HEAD`: the commit HEAD's branch left BASE at (`git merge-base`), as (full id, its
    abbreviation for people)."""
    for spec in (base, head):
        if Path(spec).is_dir():
            raise DiffInputError(f"{base}{RANGE}{head}: {spec} is a folder, and a merge base joins two git revisions",
                                 f"compare a folder with two arguments: `mlopsc diff {base} {spec}`")
    root, _ = _location(repository, base)
    done = _git(root, "merge-base", _commit(root, base), _commit(root, head))
    if done.returncode != 0:
        raise DiffInputError(f"{base} and {head} have no common ancestor in {root}",
                             "fetch their whole history (actions/checkout with fetch-depth: 0, CodeBuild clone "
                             "depth 0): a shallow clone has no merge base")
    commit = done.stdout.decode("ascii").strip()
    return commit, _git(root, "rev-parse", "--short", commit).stdout.decode("ascii").strip()


def _compile_revision(revision: str, repository: Path, platform_file: Optional[str], label: str) -> dict:
    root, prefix = _location(repository, revision)
    commit = _commit(root, revision)
    try:
        files = {**_files(root, commit, prefix), **_platform_files_above(root, commit, prefix)}
    except _UnfollowedInput as refused:
        raise SideInvalid(label, tuple(dataclasses.replace(p, file=f"{revision}:{p.file}") for p in refused.problems)) from None
    if not files:  # the folder is not there at this revision
        return {}
    with tempfile.TemporaryDirectory(prefix="mlopsc-diff-") as temporary:
        tree = Path(temporary)
        (tree / ".git").mkdir()  # the repository root: platform files are looked for up to here
        _write_blobs(root, files, tree)
        platform = _platform_at(root, commit, revision, platform_file, tree)
        try:
            return _compile(tree / prefix, platform, label, relabel=(tree, revision))
        except discover.DiscoveryError:  # the folder holds no config at this revision
            return {}


def _git(root: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False)
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


def _files(root: Path, commit: str, prefix: str) -> dict:
    """Path in the repository -> blob id: the regular files under prefix at the commit, and the file
    each symbolic link to a file leads to inside the repository. Links to folders are not followed,
    as discovery's walk of a working tree does not follow them (and following them could expand a
    web of links without end); a link out of the repository, to nothing or into a loop is left out."""
    (found,) = _follow(root, commit, [prefix])
    if found is None or found[0] != "tree":
        return {}
    files, links = _listing(root, found[1], prefix)
    targets = _follow(root, commit, links)
    _refuse_unfollowed_inputs(dict(zip(links, targets)), commit)
    for path, target in zip(links, targets):
        if target is not None and target[0] == "blob":
            files[path] = target[1]
    if len(files) > MAX_FILES:
        raise DiffInputError(f"{prefix or root} holds more than {MAX_FILES:,} files at {commit[:12]}",
                             "name the model repository's own folder with --repo")
    return files


class _UnfollowedInput(Exception):
    """A config or platform file at a revision is a link that leads out of the repository, to
    nothing or into a loop; `problems` locate it as `<commit>:<path>` (relabeled by the caller)."""

    def __init__(self, problems: tuple):
        super().__init__(f"{len(problems)} linked inputs")
        self.problems = problems


def _refuse_unfollowed_inputs(links: dict, commit: str) -> None:
    """Raise _UnfollowedInput for each config or platform file among `links` ({path: what
    _follow found}) that is not a file inside the repository at the commit."""
    refused = []
    for path, target in sorted(links.items()):
        name = path.rpartition("/")[2]
        if name not in (discover.CONFIG_NAME, discover.PLATFORM_NAME) or target is None or target[0] != _UNFOLLOWED:
            continue
        what = "config" if name == discover.CONFIG_NAME else "platform file"
        message, hint = discover.outside_repository_message(what)
        refused.append(Problem(path, 1, 1, dotted(()), f"{message} (or to nothing) at this revision", hint,
                               "outside-repository"))
    if refused:
        raise _UnfollowedInput(tuple(refused))


def _listing(root: Path, tree_id: str, folder: str) -> tuple:
    """A tree's regular files ({path: blob id}) and symbolic links ([path]), recursively (`git
    ls-tree -r -z`), their paths under folder; submodules are left out."""
    done = _git(root, "ls-tree", "-r", "-z", tree_id)
    if done.returncode != 0:
        raise _read_failed("ls-tree", tree_id, done)
    files, links = {}, []
    for entry in filter(None, done.stdout.split(b"\0")):
        info, _, name = entry.partition(b"\t")
        mode, _, blob = info.split(b" ")
        path = f"{folder}/{os.fsdecode(name)}" if folder else os.fsdecode(name)
        if mode in _FILE_MODES:
            files[path] = blob.decode("ascii")
        elif mode == _LINK_MODE:
            links.append(path)
    return files, links


def _follow(root: Path, commit: str, paths: list) -> list:
    """What each path is at the commit, symbolic links followed inside the repository (`git cat-file
    --batch-check --follow-symlinks`): ("blob" or "tree", id); (_UNFOLLOWED, why) when it is a link
    that leads out of the repository, to nothing or into a loop; None when there is nothing at
    the path, or its name holds a newline (it cannot be asked)."""
    asked = [path for path in paths if "\n" not in path]
    done = _git(root, "cat-file", "--batch-check", "--follow-symlinks",
                stdin=b"".join(os.fsencode(f"{commit}:{path}\n") for path in asked))
    if done.returncode != 0:
        raise _read_failed("cat-file --batch-check", commit, done)
    found = dict(zip(asked, _answers(io.BytesIO(done.stdout))))
    return [found.get(path) for path in paths]


def _answers(stream: io.BytesIO) -> Iterator[Optional[tuple]]:
    """`cat-file --batch-check --follow-symlinks` answers: `<id> <type> <size>` -> (type, id); `<name>
    missing` -> None; `symlink|dangling|loop|notdir <size>` followed by that many bytes (a link
    out of the repository, to nothing, into a loop) -> (_UNFOLLOWED, that word)."""
    while line := stream.readline():
        words = line.split()
        if words[-1] == b"missing":
            yield None
        elif words[0] in (b"symlink", b"dangling", b"loop", b"notdir"):
            stream.read(int(words[1]) + 1)
            yield _UNFOLLOWED, words[0].decode("ascii")
        else:
            yield words[1].decode("ascii"), words[0].decode("ascii")


def _write_blobs(root: Path, files: dict, tree: Path) -> None:
    """Each blob written to tree/<path> as a regular file, streamed from one `git cat-file --batch`."""
    paths = sorted(files)
    with tempfile.TemporaryFile() as requests, tempfile.TemporaryFile() as errors:
        requests.write("".join(f"{files[path]}\n" for path in paths).encode("ascii"))
        requests.seek(0)
        with subprocess.Popen(["git", "-C", str(root), "cat-file", "--batch"], stdin=requests,
                              stdout=subprocess.PIPE, stderr=errors) as process:
            for path in paths:
                _copy_blob(process.stdout, _destination(tree, path))
        if process.returncode != 0:
            errors.seek(0)
            raise _read_failed("cat-file --batch", str(root), subprocess.CompletedProcess([], 1, b"", errors.read()))


def _copy_blob(stream, target: Path) -> None:
    header = stream.readline().split()
    if len(header) != 3 or header[1] != b"blob":
        raise DiffInputError(f"git cat-file --batch answered {b' '.join(header).decode('utf-8', 'replace')!r}",
                             "check that the revision is complete (not a partial clone)")
    target.parent.mkdir(parents=True, exist_ok=True)
    left = int(header[2])
    with target.open("wb") as out:
        while left:
            chunk = stream.read(min(left, _CHUNK))
            if not chunk:
                raise DiffInputError(f"git cat-file --batch ended inside {target.name}",
                                     "check that the revision is complete (not a partial clone)")
            out.write(chunk)
            left -= len(chunk)
    stream.read(1)  # the newline after the content


def _destination(tree: Path, path: str) -> Path:
    """tree/<path>, for a path of the repository: never `..`, never absolute, never empty parts."""
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise DiffInputError(f"the repository holds a file named {path!r}", "repair the repository (git fsck)")
    return tree.joinpath(*parts)


def _read_failed(command: str, what: str, done: subprocess.CompletedProcess) -> DiffInputError:
    return DiffInputError(f"git {command} {what} failed: {done.stderr.decode('utf-8', 'replace').strip()}",
                          "check that the revision exists and is complete (not a partial clone)")


def _platform_files_above(root: Path, commit: str, prefix: str) -> dict:
    """The platform files at the revision in the folders above prefix (those below come with it)."""
    if not prefix:
        return {}
    parts = prefix.split("/")
    candidates = ["/".join(parts[:depth] + [discover.PLATFORM_NAME]) for depth in range(len(parts))]
    found = dict(zip(candidates, _follow(root, commit, candidates)))
    _refuse_unfollowed_inputs(found, commit)
    return {path: target[1] for path, target in found.items() if target is not None and target[0] == "blob"}


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
    (found,) = _follow(root, commit, [inside])
    if found is None or found[0] != "blob":
        raise DiffInputError(f"--platform {platform_file}: not in {revision}",
                             "a platform file inside the repository is read at each revision: commit it there, "
                             "or pass one outside the repository")
    _write_blobs(root, {inside: found[1]}, tree)
    return str(tree / inside)
