"""Read what `mlopsc compile` wrote for one environment, and the build stage's images.json.

Apply trusts nothing it did not check: the manifest's sha256 of every output must match the
file (a hand-edited or half-copied OUT is refused), and every image must be pinned by digest
in the repository the compiler named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time as _time
from pathlib import Path
from typing import Mapping, Optional

from compiler import files
from compiler.artifacts import write
from compiler.apply.errors import ApplyInputError
from compiler.artifacts.format import FORMAT_VERSION, MANIFEST

#: Environment names as the config language allows them (also keeps --env from acting as a glob).
ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
DIGEST_URI = re.compile(r"^(?P<repository>[^@\s]+)@sha256:[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
#: How far --commit-time may be ahead of this machine's clock (a committer's clock runs fast).
MAX_CLOCK_SKEW_SECONDS = 15 * 60
MONITOR = "monitor.json"


def is_out(path: Path) -> bool:
    """An OUT directory `mlopsc compile` wrote: manifests one level down, and no config of its own."""
    return path.is_dir() and not (path / "mlops.yaml").exists() and any(path.glob(f"*/*/{MANIFEST}"))


@dataclasses.dataclass(frozen=True)
class Target:
    """Where one model environment lives, from the manifest's `target` block."""

    model: str
    environment: str
    account: str
    region: str
    partition: str
    pipeline_role: str
    task_role: str
    log_group: str
    event_bus: str
    tags: Mapping[str, str]

    @property
    def name_prefix(self) -> str:
        """What the names of this environment's rules and alarms start with (compiler.names)."""
        return f"{self.model}-{self.environment}-"


@dataclasses.dataclass(frozen=True)
class CompiledEnvironment:
    directory: str  # OUT-relative, for messages: "<model>/<env>"
    target: Target
    definitions: Mapping[str, dict]  # pipeline -> parsed ASL
    pointers: dict
    triggers: dict
    manifest: dict
    monitor: Optional[dict] = None  # monitor.json: alarms and dashboard; None without `monitor`


@dataclasses.dataclass(frozen=True)
class Commit:
    """The commit being applied. Pointer writes are ordered by commit time (see README, apply)."""

    sha: str
    time: int


@dataclasses.dataclass(frozen=True)
class Images:
    uris: Mapping[str, str]  # runtime -> repository@sha256:digest


def read_environments(out: Path, environment: str) -> list[CompiledEnvironment]:
    if not ENVIRONMENT.match(environment):
        raise ApplyInputError(f"--env {environment!r} is not an environment name",
                              "environment names are lower-case letters, digits and '-', starting with a letter")
    if not out.is_dir():
        raise ApplyInputError(f"{out}: no such directory", "pass the OUT directory `mlopsc compile -o OUT` wrote")
    try:
        write.check_finished(out)
    except write.UnfinishedWrite as error:
        raise ApplyInputError(str(error), error.hint) from None
    found = sorted(path.parent for path in out.glob(f"*/{environment}/{MANIFEST}"))
    if not found:
        compiled = sorted({p.parent.name for p in out.glob(f"*/*/{MANIFEST}")})
        raise ApplyInputError(f"{out}: no model has an environment '{environment}'",
                              f"environments compiled here: {', '.join(compiled) or 'none'}; "
                              f"compile with `--env {environment}`, or pick one of those")
    return [_read_environment(out, directory) for directory in found]


def _read_environment(out: Path, directory: Path) -> CompiledEnvironment:
    name = directory.relative_to(out).as_posix()
    manifest = _read_json(directory / MANIFEST, name)
    if manifest.get("format_version") != FORMAT_VERSION or "target" not in manifest:
        raise ApplyInputError(f"{name}/{MANIFEST}: output format {manifest.get('format_version')!r}, "
                              f"this mlopsc applies format {FORMAT_VERSION}",
                              "compile again with this version of mlopsc")
    for entry in manifest["outputs"]:
        path = directory / entry["path"]
        if hashlib.sha256(_read_output(path, name)).hexdigest() != entry["sha256"]:
            raise ApplyInputError(f"{name}/{entry['path']}: does not match the sha256 in {MANIFEST}",
                                  "OUT was edited or only partly copied; compile again instead of editing outputs")
    outputs = {entry["path"] for entry in manifest["outputs"]}
    definitions = {path.split(".")[0]: _read_json(directory / path, name)
                   for path in sorted(outputs) if path.endswith(".asl.json")}
    target = manifest["target"]
    return CompiledEnvironment(
        directory=name,
        target=Target(model=manifest["model"], environment=manifest["environment"], account=target["account"],
                      region=target["region"], partition=target["partition"],
                      pipeline_role=target["pipeline_role"], task_role=target["task_role"],
                      log_group=target["log_group"], event_bus=target["event_bus"], tags=dict(target["tags"])),
        definitions=definitions,
        pointers=_read_json(directory / "pointers.json", name),
        triggers=_read_json(directory / "triggers.json", name),
        manifest=manifest,
        # Only when the manifest lists it (and so its sha256 was checked above).
        monitor=_read_json(directory / MONITOR, name) if MONITOR in outputs else None,
    )


def _read_output(path: Path, name: str) -> bytes:
    """A file compile wrote, read as compiler.files reads every input: a regular file, bounded."""
    try:
        return files.read_bytes_bounded(path, files.COMPILED_OUTPUT_BYTES, "compiled output")
    except files.UnreadableFile as error:
        raise ApplyInputError(f"{name}/{path.name}: {error.problem}",
                              f"{error.hint}; compile again: OUT holds only what mlopsc compile wrote") from None


def _read_json(path: Path, name: str):
    try:
        return json.loads(_read_output(path, name).decode("utf-8"))
    except ValueError as error:
        raise ApplyInputError(f"{name}/{path.name}: cannot be read ({error})",
                              "compile again; apply reads only what mlopsc compile wrote") from None


def read_images(path: Optional[Path]) -> Optional[Images]:
    if path is None:
        return None
    try:
        data = json.loads(files.read_text_bounded(path, files.IMAGES_BYTES, "images.json"))
    except files.UnreadableFile as error:
        raise ApplyInputError(str(error), f"{error.hint}; pass the images.json the build stage wrote") from None
    except ValueError as error:
        raise ApplyInputError(f"{path}: cannot be read as JSON ({error})",
                              "pass the images.json the build stage wrote (runtime -> image URI by digest)") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ApplyInputError(f"{path}: must map each runtime name to an image URI",
                              'e.g. {"trainer": "<account>.dkr.ecr.<region>.amazonaws.com/<model>/trainer@sha256:<digest>"}')
    for runtime, uri in sorted(data.items()):
        if not DIGEST_URI.match(uri):
            raise ApplyInputError(f"{path}: {runtime}: {uri!r} is not pinned by digest",
                                  "images must be referenced as repository@sha256:<64 hex digits>, never by tag, "
                                  "so a run always uses the exact image that was tested")
    return Images(dict(sorted(data.items())))


def read_commit(sha: Optional[str], time: Optional[int], now: Optional[float] = None) -> Optional[Commit]:
    if sha is None and time is None:
        return None
    if sha is None or time is None:
        raise ApplyInputError("--commit and --commit-time go together",
                              'pass both, e.g. --commit "$CODEBUILD_RESOLVED_SOURCE_VERSION" '
                              '--commit-time "$(git log -1 --format=%ct HEAD)"')
    if not COMMIT.match(sha):
        raise ApplyInputError(f"--commit {sha!r} is not a git commit id", "pass the full hexadecimal commit sha")
    latest = int(now if now is not None else _time.time()) + MAX_CLOCK_SKEW_SECONDS
    if time < 0 or time > latest:
        # Stored, a future time would make every later commit look older (any committer can set
        # GIT_COMMITTER_DATE): refused, beyond the clock skew allowed between laptops and CI.
        raise ApplyInputError(f"--commit-time {time} is {'negative' if time < 0 else 'in the future'}",
                              f"pass the commit's own time (git log -1 --format=%ct HEAD); a committer clock may be "
                              f"at most {MAX_CLOCK_SKEW_SECONDS // 60} minutes ahead of this machine's")
    return Commit(sha, time)


def images_for(environment: CompiledEnvironment, images: Images, source: str) -> dict[str, str]:
    """The image of every runtime the environment uses, checked against the compiled repositories."""
    wanted = environment.pointers["images"]
    missing = sorted(set(wanted) - set(images.uris))
    if missing:
        raise ApplyInputError(f"{source}: no image for runtime {', '.join(missing)} of {environment.directory}",
                              "was images.json written by this commit's build stage? it builds every runtime")
    uris = {}
    for runtime, pointer in sorted(wanted.items()):
        repository = DIGEST_URI.match(images.uris[runtime])["repository"]
        if repository != pointer["repository"]:
            raise ApplyInputError(f"{source}: {runtime}: image is in {repository}, "
                                  f"{environment.directory} expects {pointer['repository']}",
                                  "images must come from the model's own repositories in the target account")
        uris[runtime] = images.uris[runtime]
    return uris
