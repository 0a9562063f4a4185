"""Apply's own inputs besides OUT: the build stage's images.json (and published.json beside it,
the package `build.publish` published) and the commit being applied.

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
#: The build's published.json (compiler/render/codeartifact_build.py): a PEP 440 version of the
#: release.post<commit time> form, file names as the build tools write them, sha256 digests.
PUBLISHED = "published.json"
PACKAGE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$")
PACKAGE_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*\.post[0-9]+$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
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


def read_published(images: Optional[Path]) -> Optional[dict]:
    """published.json beside images.json, when the build wrote one: {package, version, repository,
    files: {file name: sha256}}, checked."""
    if images is None or not images.with_name(PUBLISHED).exists():
        return None
    path = images.with_name(PUBLISHED)
    hint = "pass the images.json of the build stage that wrote published.json beside it (build.publish)"
    try:
        data = json.loads(files.read_text_bounded(path, files.IMAGES_BYTES, PUBLISHED))
    except files.UnreadableFile as error:
        raise InputError(str(error), f"{error.hint}; {hint}") from None
    except ValueError as error:
        raise InputError(f"{path}: cannot be read as JSON ({error})", hint) from None
    if not _is_published_record(data):
        raise InputError(f"{path}: is not the record of a published package",
                         '{"package": NAME, "version": "<release>.post<commit time>", "repository": "<domain>/'
                         '<repository>", "files": {"<wheel or sdist>": "<sha256>"}}')
    return {key: data[key] for key in ("package", "version", "repository", "files")}


def _is_published_record(data) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("package"), str) and PACKAGE_NAME.match(data["package"])
            and isinstance(data.get("version"), str) and PACKAGE_VERSION.match(data["version"])
            and isinstance(data.get("repository"), str) and isinstance(data.get("files"), dict) and data["files"]
            and all(isinstance(k, str) and FILE_NAME.match(k) and isinstance(v, str) and SHA256.match(v)
                    for k, v in data["files"].items())) is True


def package_for(environment: CompiledEnvironment, published: Optional[dict], source: str) -> Optional[dict]:
    """The published package an environment records: required where its build publishes one."""
    wanted = environment.pointers.get("package")
    if wanted is None:
        return None
    if published is None:
        raise InputError(f"{source}: no {PUBLISHED} beside it, but {environment.directory} publishes a package "
                         "(build.publish)", f"pass the images.json of this commit's build stage: it writes {PUBLISHED}")
    if published["repository"] != wanted["repository"]:
        raise InputError(f"{PUBLISHED}: the package was published to {published['repository']}, "
                         f"{environment.directory} expects {wanted['repository']}",
                         "the build and the environment use the same platform.codeartifact repository")
    return published
