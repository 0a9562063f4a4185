"""Apply's own inputs besides OUT: the build stage's images.json and the commit being applied.

Every image must be pinned by digest in the repository the compiler named, and a commit's time
may not be in the future (pointer writes are ordered by it).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time as _time
from pathlib import Path
from typing import Mapping, Optional

from compiler import files
from compiler.errors import InputError
from compiler.artifacts.read import CompiledEnvironment

DIGEST_URI = re.compile(r"^(?P<repository>[^@\s]+)@sha256:[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
#: How far --commit-time may be ahead of this machine's clock (a committer's clock runs fast).
MAX_CLOCK_SKEW_SECONDS = 15 * 60


@dataclasses.dataclass(frozen=True)
class Commit:
    """The commit being applied. Pointer writes are ordered by commit time (see docs/apply.md)."""

    sha: str
    time: int


@dataclasses.dataclass(frozen=True)
class Images:
    uris: Mapping[str, str]  # runtime -> repository@sha256:digest


def read_images(path: Optional[Path]) -> Optional[Images]:
    if path is None:
        return None
    try:
        data = json.loads(files.read_text_bounded(path, files.IMAGES_BYTES, "images.json"))
    except files.UnreadableFile as error:
        raise InputError(str(error), f"{error.hint}; pass the images.json the build stage wrote") from None
    except ValueError as error:
        raise InputError(f"{path}: cannot be read as JSON ({error})",
                              "pass the images.json the build stage wrote (runtime -> image URI by digest)") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InputError(f"{path}: must map each runtime name to an image URI",
                              'e.g. {"trainer": "<account>.dkr.ecr.<region>.amazonaws.com/<model>/trainer@sha256:<digest>"}')
    for runtime, uri in sorted(data.items()):
        if not DIGEST_URI.match(uri):
            raise InputError(f"{path}: {runtime}: {uri!r} is not pinned by digest",
                                  "images must be referenced as repository@sha256:<64 hex digits>, never by tag, "
                                  "so a run always uses the exact image that was tested")
    return Images(dict(sorted(data.items())))


def read_commit(sha: Optional[str], time: Optional[int], now: Optional[float] = None) -> Optional[Commit]:
    if sha is None and time is None:
        return None
    if sha is None or time is None:
        raise InputError("--commit and --commit-time go together",
                              'pass both, e.g. --commit "$CODEBUILD_RESOLVED_SOURCE_VERSION" '
                              '--commit-time "$(git log -1 --format=%ct HEAD)"')
    if not COMMIT.match(sha):
        raise InputError(f"--commit {sha!r} is not a git commit id", "pass the full hexadecimal commit sha")
    latest = int(now if now is not None else _time.time()) + MAX_CLOCK_SKEW_SECONDS
    if time < 0 or time > latest:
        # Stored, a future time would make every later commit look older (any committer can set
        # GIT_COMMITTER_DATE): refused, beyond the clock skew allowed between laptops and CI.
        raise InputError(f"--commit-time {time} is {'negative' if time < 0 else 'in the future'}",
                              f"pass the commit's own time (git log -1 --format=%ct HEAD); a committer clock may be "
                              f"at most {MAX_CLOCK_SKEW_SECONDS // 60} minutes ahead of this machine's")
    return Commit(sha, time)


def images_for(environment: CompiledEnvironment, images: Images, source: str) -> dict[str, str]:
    """The image of every runtime the environment uses, checked against the compiled repositories."""
    wanted = environment.pointers["images"]
    missing = sorted(set(wanted) - set(images.uris))
    if missing:
        raise InputError(f"{source}: no image for runtime {', '.join(missing)} of {environment.directory}",
                              "was images.json written by this commit's build stage? it builds every runtime")
    uris = {}
    for runtime, pointer in sorted(wanted.items()):
        repository = DIGEST_URI.match(images.uris[runtime])["repository"]
        if repository != pointer["repository"]:
            raise InputError(f"{source}: {runtime}: image is in {repository}, "
                                  f"{environment.directory} expects {pointer['repository']}",
                                  "images must come from the model's own repositories in the target account")
        uris[runtime] = images.uris[runtime]
    return uris
