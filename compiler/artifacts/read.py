"""Read what `mlopsc compile` wrote for one environment, checked.

A reader trusts nothing it did not check: the manifest's sha256 of every output must match the
file (a hand-edited or half-copied OUT is refused), and an OUT of another format version is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Mapping, Optional

from compiler import files
from compiler.artifacts import write
from compiler.artifacts.format import FORMAT_VERSION, MANIFEST
from compiler.errors import InputError

#: Environment names as the config language allows them (also keeps --env from acting as a glob).
ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
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


def read_environments(out: Path, environment: str) -> list[CompiledEnvironment]:
    if not ENVIRONMENT.match(environment):
        raise InputError(f"--env {environment!r} is not an environment name",
                              "environment names are lower-case letters, digits and '-', starting with a letter")
    if not out.is_dir():
        raise InputError(f"{out}: no such directory", "pass the OUT directory `mlopsc compile -o OUT` wrote")
    try:
        write.check_finished(out)
    except write.UnfinishedWrite as error:
        raise InputError(str(error), error.hint) from None
    found = sorted(path.parent for path in out.glob(f"*/{environment}/{MANIFEST}"))
    if not found:
        compiled = sorted({p.parent.name for p in out.glob(f"*/*/{MANIFEST}")})
        raise InputError(f"{out}: no model has an environment '{environment}'",
                              f"environments compiled here: {', '.join(compiled) or 'none'}; "
                              f"compile with `--env {environment}`, or pick one of those")
    return [_read_environment(out, directory) for directory in found]


def _read_environment(out: Path, directory: Path) -> CompiledEnvironment:
    name = directory.relative_to(out).as_posix()
    manifest = _read_json(directory / MANIFEST, name)
    if manifest.get("format_version") != FORMAT_VERSION or "target" not in manifest:
        raise InputError(f"{name}/{MANIFEST}: output format {manifest.get('format_version')!r}, "
                              f"this mlopsc applies format {FORMAT_VERSION}",
                              "compile again with this version of mlopsc")
    for entry in manifest["outputs"]:
        path = directory / entry["path"]
        if hashlib.sha256(_read_output(path, name)).hexdigest() != entry["sha256"]:
            raise InputError(f"{name}/{entry['path']}: does not match the sha256 in {MANIFEST}",
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
        raise InputError(f"{name}/{path.name}: {error.problem}",
                              f"{error.hint}; compile again: OUT holds only what mlopsc compile wrote") from None


def _read_json(path: Path, name: str):
    try:
        return json.loads(_read_output(path, name).decode("utf-8"))
    except ValueError as error:
        raise InputError(f"{name}/{path.name}: cannot be read ({error})",
                              "compile again; apply reads only what mlopsc compile wrote") from None
