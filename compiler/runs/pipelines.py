"""Find the state machines of a model's pipelines, from the manifest and pointers of an environment:
read from an OUT directory `mlopsc compile` wrote (as apply and registry read it), or compiled in
memory from the config at PATH and its platform file. Nothing is written.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Optional

from compiler import sources
from compiler.artifacts.format import MANIFEST
from compiler.errors import InputError


@dataclasses.dataclass(frozen=True)
class Pipelines:
    model: str
    environment: str
    account: str
    region: str
    state_machines: dict  # pipeline -> ARN
    disabled: tuple = ()  # what the config switches off in this environment (`enabled: false`)


@dataclasses.dataclass(frozen=True)
class Definitions:
    model: str
    environment: str
    definitions: dict  # pipeline -> parsed ASL, in the order compile names them


def locate(paths: list[str], platform_file: Optional[str], environment: str, model: Optional[str]) -> Pipelines:
    """The pipelines of one model in one environment, from an OUT directory `mlopsc compile`
    wrote (as apply and registry read it) or from configs compiled in memory."""
    manifest, pointers, _ = _one_model(paths, platform_file, environment, model)
    return Pipelines(manifest["model"], manifest["environment"], manifest["target"]["account"],
                     manifest["target"]["region"],
                     {pipeline: machine["arn"] for pipeline, machine in pointers["state_machines"].items()},
                     tuple(manifest.get("disabled", ())))


def definitions(paths: list[str], platform_file: Optional[str], environment: str, model: Optional[str]) -> Definitions:
    """The state machine definitions of one model in one environment, found as `locate` finds them."""
    manifest, _, found = _one_model(paths, platform_file, environment, model)
    return Definitions(manifest["model"], manifest["environment"], found)


def _one_model(paths, platform_file, environment, model) -> tuple:
    """(manifest, pointers, {pipeline: definition}) of the one model PATHS and --model name."""
    found = {key.split("/")[0]: files
             for key, files in sources.environment_files(paths, platform_file, environment).items()}
    if model is not None and model not in found:
        raise InputError(f"no model '{model}' here", f"models found: {', '.join(sorted(found))}")
    if model is None and len(found) != 1:
        raise InputError(f"{len(found)} models found: {', '.join(sorted(found))}", "name one with --model")
    files = found[model or next(iter(found))]
    return files[MANIFEST], files["pointers.json"], {name.split(".")[0]: definition for name, definition
                                                     in sorted(files.items()) if name.endswith(".asl.json")}


def execution_name() -> str:
    """`manual-<UTC time>-<random>`: sortable, unique, and readable as the run id (and so the model
    version) the pipeline records."""
    import datetime
    import secrets

    return f"manual-{datetime.datetime.now(datetime.timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def parse_input(text: Optional[str]) -> str:
    """The execution input: JSON object text, by default {"trigger": "manual"}."""
    if text is None:
        return json.dumps({"trigger": "manual"})
    try:
        value = json.loads(text)
    except ValueError as error:
        raise InputError(f"--input is not JSON ({error})", "e.g. --input '{\"trigger\": \"manual\"}'") from None
    if not isinstance(value, dict):
        raise InputError("--input must be a JSON object", "state machines take an object as input")
    return json.dumps(value, sort_keys=True)


__all__ = ["Definitions", "Pipelines", "definitions", "execution_name", "locate", "parse_input"]
