"""A repository's config and platform file are its own files, not symbolic links (of the file or
of a folder above it) that lead outside the repository (see discover.leaves_repository)."""

from pathlib import Path

from compiler import discover
from compiler.checks.finding import Finding

RULE = "outside-repository"
DESCRIPTION = "A config or platform file in the repository is not a symbolic link that leads outside it"


def finding_at_revision(what: str) -> Finding:
    """The finding for a file that, at a git revision, is a link out of the repository, to nothing
    or into a loop (git_export finds those reading git's objects: the disk cannot tell)."""
    message, hint = discover.outside_repository_message(what)
    return Finding((), f"{message} (or to nothing) at this revision", hint, RULE)


def check_file(path: Path, root: Path, what: str) -> list:
    """[the finding, at the top of the file] when the file at `path` (`what` it is, for the
    message) leads outside the repository `root`, else []."""
    if not discover.leaves_repository(path, root):
        return []
    message, hint = discover.outside_repository_message(what)
    return [Finding((), message, hint, RULE)]
