"""A git revision's files, exported into a temporary folder to be compiled there (compiler.sources).

A revision's files are read with `git ls-tree -r -z` and streamed from `git cat-file --batch` into
a temporary folder, as regular files (`.gitattributes` export-ignore does not hide any). A symbolic
link that leads to a file inside the repository at that revision is written as that file; one
that leads to a folder is not followed (as discovery's walk of a working tree does not follow
it); one that leads out of the repository, to nothing or into a loop is left out: what is outside
the repository is not part of the revision. A config or platform file that is such a link is
refused, as validate and compile refuse it in a working tree (discover.leaves_repository), rather
than left out: the side would silently lose a model. No link is ever created.

The platform file comes from the same revision: the nearest `mlops-platform.yaml` above the
folder up to the repository root, or `--platform` when it names a file inside the repository; a
`--platform` outside the repository is used as it is. The working tree, the index and the refs
are never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Optional

from compiler import discover
from compiler.checks.rules import outside_repository
from compiler.errors import InputError
from compiler.problems import Problem, dotted

#: `git ls-tree` modes of a regular file (executable or not) and of a symbolic link; submodules are left out.
_FILE_MODES = (b"100644", b"100755")
_LINK_MODE = b"120000"
#: A revision's folder holding more files than this is refused (a repository of data, not of a model).
MAX_FILES = 100_000
_CHUNK = 1 << 20
#: What _follow says of a link it cannot follow to an object inside the repository.
_UNFOLLOWED = "unfollowed"


@dataclasses.dataclass(frozen=True)
class Export:
    """A revision's files in a temporary folder: `tree` stands for the repository root (it has a
    `.git`, so platform files are looked for up to it), `folder` for the `--repo` folder in it."""

    tree: Path
    folder: Path
    platform_file: Optional[str]  # --platform as read at the revision, or None: discovered


class UnfollowedInputs(InputError):
    """A config or platform file at the revision is a link that leads out of the repository, to
    nothing or into a loop. `problems` locate each as `<revision>:<path>`; a subclass because the
    caller reports them as validate reports a config's problems."""

    def __init__(self, revision: str, problems: tuple):
        super().__init__(f"{revision}: {len(problems)} linked input{'s' if len(problems) != 1 else ''} outside "
                         "the repository", problems[0].hint if problems else "")
        self.problems = problems


@contextlib.contextmanager
def exported(revision: str, repository: Path, platform_file: Optional[str]) -> Iterator[Optional[Export]]:
    """The `repository` folder's files at `revision`, in a temporary folder removed on exit; None
    when the folder is not there at that revision."""
    root, prefix = _location(repository, revision)
    commit = _commit(root, revision)
    try:
        files = {**_files(root, commit, prefix), **_platform_files_above(root, commit, prefix)}
    except _UnfollowedInput as refused:
        raise UnfollowedInputs(revision, tuple(dataclasses.replace(p, file=f"{revision}:{p.file}")
                                               for p in refused.problems)) from None
    if not files:  # the folder is not there at this revision
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="mlopsc-diff-") as temporary:
        tree = Path(temporary)
        (tree / ".git").mkdir()  # the repository root: platform files are looked for up to here
        _write_blobs(root, files, tree)
        yield Export(tree, tree / prefix, _platform_at(root, commit, revision, platform_file, tree))


def merge_base(base: str, head: str, repository: Path) -> tuple:
    """The commit HEAD's branch left BASE at (`git merge-base`), as (full id, its abbreviation for people)."""
    root, _ = _location(repository, base)
    done = _git(root, "merge-base", _commit(root, base), _commit(root, head))
    if done.returncode != 0:
        raise InputError(f"{base} and {head} have no common ancestor in {root}",
                         "fetch their whole history (actions/checkout with fetch-depth: 0, CodeBuild clone "
                         "depth 0): a shallow clone has no merge base")
    commit = done.stdout.decode("ascii").strip()
    return commit, _git(root, "rev-parse", "--short", commit).stdout.decode("ascii").strip()


def _git(root: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed", "install git, or pass OUT directories `mlopsc compile` wrote") from None


def _location(repository: Path, revision: str) -> tuple:
    """(repository root, the folder's path in it: "" or "a/b")."""
    if not repository.is_dir():
        raise InputError(f"--repo {repository}: no such directory", "pass the model repository (default: .)")
    done = _git(repository, "rev-parse", "--show-toplevel", "--show-prefix")
    if done.returncode != 0:
        raise InputError(f"{revision!r} is not a directory, and {repository} is not in a git repository "
                         "whose revisions it could name",
                         "pass two OUT directories `mlopsc compile -o` wrote, or run in a git checkout (--repo)")
    root, prefix = (done.stdout.decode("utf-8").split("\n") + [""])[:2]
    return Path(root), prefix.rstrip("/")


def _commit(root: Path, revision: str) -> str:
    done = None if revision.startswith("-") else _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if done is None or done.returncode != 0:
        raise InputError(f"{revision!r} is neither a directory nor a revision of the git repository {root}",
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
        raise InputError(f"{prefix or root} holds more than {MAX_FILES:,} files at {commit[:12]}",
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
        finding = outside_repository.finding_at_revision(what)  # located at the file's top
        refused.append(Problem(path, 1, 1, dotted(finding.path), finding.message, finding.hint, finding.rule))
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
        raise InputError(f"git cat-file --batch answered {b' '.join(header).decode('utf-8', 'replace')!r}",
                         "check that the revision is complete (not a partial clone)")
    target.parent.mkdir(parents=True, exist_ok=True)
    left = int(header[2])
    with target.open("wb") as out:
        while left:
            chunk = stream.read(min(left, _CHUNK))
            if not chunk:
                raise InputError(f"git cat-file --batch ended inside {target.name}",
                                 "check that the revision is complete (not a partial clone)")
            out.write(chunk)
            left -= len(chunk)
    stream.read(1)  # the newline after the content


def _destination(tree: Path, path: str) -> Path:
    """tree/<path>, for a path of the repository: never `..`, never absolute, never empty parts."""
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InputError(f"the repository holds a file named {path!r}", "repair the repository (git fsck)")
    return tree.joinpath(*parts)


def _read_failed(command: str, what: str, done: subprocess.CompletedProcess) -> InputError:
    return InputError(f"git {command} {what} failed: {done.stderr.decode('utf-8', 'replace').strip()}",
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
            raise InputError(f"--platform {platform_file}: no such file", "pass the platform team's file") from None
        return str(given)
    (found,) = _follow(root, commit, [inside])
    if found is None or found[0] != "blob":
        raise InputError(f"--platform {platform_file}: not in {revision}",
                         "a platform file inside the repository is read at each revision: commit it there, "
                         "or pass one outside the repository")
    _write_blobs(root, {inside: found[1]}, tree)
    return str(tree / inside)
