"""Read what `mlopsc compile` wrote: the one reader of OUT for every command (apply, registry, run,
status, graph, diff).

Each reader refuses an OUT a killed compile left half swapped (`write.check_finished`), an
environment of another format version, and a manifest that lists anything but a file name; every
file is read as compiler.files reads every input (a regular file, bounded). Those that act on AWS
(`read_environments`) also check each output against the manifest's sha256: a hand-edited or
half-copied OUT is refused. `mlopsc diff` compares content, whoever wrote it (`read_out`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

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
    artifact_bucket: Optional[str] = None  # not in manifests of mlopsc before cross-account promotion

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
    files: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # file name -> parsed, the manifest's


def read_environments(out: Path, environment: str) -> list[CompiledEnvironment]:
    """Every model's `environment` in OUT, each output checked against the manifest's sha256."""
    if not ENVIRONMENT.match(environment):
        raise InputError(f"--env {environment!r} is not an environment name",
                         "environment names are lower-case letters, digits and '-', starting with a letter")
    if not out.is_dir():
        raise InputError(f"{out}: no such directory", "pass the OUT directory `mlopsc compile -o OUT` wrote")
    write.check_finished(out)
    found = sorted(path.parent for path in out.glob(f"*/{environment}/{MANIFEST}"))
    if not found:
        compiled = sorted({p.parent.name for p in out.glob(f"*/*/{MANIFEST}")})
        raise InputError(f"{out}: no model has an environment '{environment}'",
                         f"environments compiled here: {', '.join(compiled) or 'none'}; "
                         f"compile with `--env {environment}`, or pick one of those")
    return [_environment(out, directory) for directory in found]


def read_out(out: Path) -> dict:
    """Every environment `mlopsc compile -o OUT` wrote: {"<model>/<env>": {file name: parsed}}, the
    files each manifest lists. The sha256 are not checked: a diff compares content, whoever wrote it."""
    write.check_finished(out)
    return {manifest.parent.relative_to(out).as_posix(): _files(manifest.parent, check_sha256=False)
            for manifest in sorted(out.glob(f"*/*/{MANIFEST}"))}


def parse(name: str, text: str) -> Any:
    """A compiled file's content as data: JSON, YAML, or else the text itself."""
    if name.endswith(".json"):
        return json.loads(text)
    if name.endswith((".yml", ".yaml")):
        return yaml.safe_load(text)
    return text


def _environment(out: Path, directory: Path) -> CompiledEnvironment:
    parsed = _files(directory, check_sha256=True)
    manifest = parsed[MANIFEST]
    if "target" not in manifest:
        raise _other_format(directory, manifest)
    for required in ("pointers.json", "triggers.json"):
        if required not in parsed:
            raise InputError(f"{directory}/{MANIFEST}: lists no {required}",
                             "compile again: OUT holds only what mlopsc compile wrote")
    target = manifest["target"]
    return CompiledEnvironment(
        directory=directory.relative_to(out).as_posix(),
        target=Target(model=manifest["model"], environment=manifest["environment"], account=target["account"],
                      region=target["region"], partition=target["partition"],
                      pipeline_role=target["pipeline_role"], task_role=target["task_role"],
                      log_group=target["log_group"], event_bus=target["event_bus"], tags=dict(target["tags"]),
                      artifact_bucket=target.get("artifact_bucket")),
        definitions={name.split(".")[0]: data for name, data in sorted(parsed.items()) if name.endswith(".asl.json")},
        pointers=parsed["pointers.json"],
        triggers=parsed["triggers.json"],
        manifest=manifest,
        monitor=parsed.get(MONITOR),  # only when the manifest lists it (and so its sha256 was checked)
        files=parsed,
    )


def _files(directory: Path, check_sha256: bool) -> dict:
    """The manifest and every output it lists, parsed; refused when of another format version."""
    manifest = _read(directory / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise _other_format(directory, manifest)
    found = {MANIFEST: manifest}
    for entry in manifest.get("outputs") or []:
        name = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(name, str) or Path(name).name != name or name in (".", ".."):
            raise InputError(f"{directory}/{MANIFEST}: output {name!r} is not a file name",
                             "compile again: OUT holds only what mlopsc compile wrote")
        found[name] = _read(directory / name, str(entry.get("sha256")) if check_sha256 else None)
    return found


def _other_format(directory: Path, manifest) -> InputError:
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    return InputError(f"{directory}/{MANIFEST}: output format {version!r}, this mlopsc reads format {FORMAT_VERSION}",
                      "compile again with this version of mlopsc")


def _read(path: Path, sha256: Optional[str] = None) -> Any:
    """A file compile wrote, parsed; read as compiler.files reads every input (a regular file,
    bounded), and refused when it does not match `sha256` (when given) or cannot be parsed."""
    try:
        content = files.read_bytes_bounded(path, files.COMPILED_OUTPUT_BYTES, "compiled output")
    except files.UnreadableFile as error:
        raise InputError(str(error), f"{error.hint}; compile again: OUT holds only what mlopsc compile wrote") from None
    if sha256 is not None and hashlib.sha256(content).hexdigest() != sha256:
        raise InputError(f"{path}: does not match the sha256 in {MANIFEST}",
                         "OUT was edited or only partly copied; compile again instead of editing outputs")
    try:
        return parse(path.name, content.decode("utf-8"))
    except (ValueError, yaml.YAMLError) as error:  # UnicodeDecodeError is a ValueError
        raise InputError(f"{path}: cannot be read ({str(error).splitlines()[0]})",
                         "compile again: OUT holds only what mlopsc compile wrote") from None
