"""Which of two commits is newer, by git history rather than by commit dates (which any committer
sets: GIT_COMMITTER_DATE). Apply runs in the checkout of the commit it applies (the compile stage
has a full clone), so `git merge-base --is-ancestor` can answer; when it cannot (no git, not a
repository, a commit it does not have), the answer is "unknown" and apply falls back to commit
times, saying so.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
from pathlib import Path
from typing import Optional

from compiler.apply.inputs import COMMIT

#: A git call that takes longer than this is treated as "cannot tell".
GIT_TIMEOUT_SECONDS = 30

NEWER, OLDER, DIVERGED, UNKNOWN = "newer", "older", "diverged", "unknown"


@dataclasses.dataclass(frozen=True)
class History:
    repository: Path

    def relation(self, commit: str, applied: str) -> str:
        """How `commit` (being applied) relates to `applied` (in the pointers): NEWER when `applied`
        is its ancestor, OLDER when it is an ancestor of `applied`, DIVERGED when neither, UNKNOWN
        when git cannot tell. Only commit ids reach git (the pointers item could hold anything)."""
        if not (COMMIT.match(commit) and COMMIT.match(applied)):
            return UNKNOWN
        if self._is_ancestor(applied, commit):
            return NEWER
        if self._is_ancestor(commit, applied):
            return OLDER
        both_known = self._is_ancestor(applied, commit) is False and self._is_ancestor(commit, applied) is False
        return DIVERGED if both_known else UNKNOWN

    @functools.lru_cache(maxsize=None)
    def _is_ancestor(self, older: str, newer: str) -> Optional[bool]:
        """True or False as git answers; None when it cannot (exit status other than 0 or 1)."""
        try:
            done = subprocess.run(["git", "-C", str(self.repository), "merge-base", "--is-ancestor", older, newer],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=GIT_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return {0: True, 1: False}.get(done.returncode)
