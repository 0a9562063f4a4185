"""Find the state machines of a model's pipelines, from the manifest and pointers of an environment:
read from an OUT directory `mlopsc compile` wrote (as apply and registry read it), or compiled in
memory from the config at PATH and its platform file. Nothing is written.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

from compiler.artifacts import read as compiled
from compiler.artifacts.format import MANIFEST
from compiler.errors import InputError


@dataclasses.dataclass(frozen=True)
class Pipelines:
    model: str
    environment: str
    account: str
    region: str
    state_machines: dict  # pipeline -> ARN


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
                     {pipeline: machine["arn"] for pipeline, machine in pointers["state_machines"].items()})


def definitions(paths: list[str], platform_file: Optional[str], environment: str, model: Optional[str]) -> Definitions:
    """The state machine definitions of one model in one environment, found as `locate` finds them."""
    manifest, _, found = _one_model(paths, platform_file, environment, model)
    return Definitions(manifest["model"], manifest["environment"], found)


def _one_model(paths, platform_file, environment, model) -> tuple:
    """(manifest, pointers, {pipeline: definition}) of the one model PATHS and --model name."""
    if len(paths) == 1 and compiled.is_out(Path(paths[0])):
        found = {env.target.model: (env.manifest, env.pointers, dict(env.definitions))
                 for env in compiled.read_environments(Path(paths[0]), environment)}
    else:
        found = _compiled_in_memory(paths, platform_file, environment)
    if model is not None and model not in found:
        raise InputError(f"no model '{model}' here", f"models found: {', '.join(sorted(found))}")
    if model is None and len(found) != 1:
        raise InputError(f"{len(found)} models found: {', '.join(sorted(found))}", "name one with --model")
    return found[model or next(iter(found))]


def _compiled_in_memory(paths: list[str], platform_file: Optional[str], environment: str) -> dict:
    from compiler import api, discover

    try:
        compilation = api.compile_outputs(paths, platform_file, environment)
    except (discover.DiscoveryError, api.UnknownEnvironment) as error:
        raise InputError(str(error), "pass a model repository (its mlops.yaml), or the OUT directory "
                                     "compile wrote, and one of its environments") from None
    if not compilation.validation.ok:
        raise InvalidConfig(compilation.validation.problems)
    return {key.split("/")[0]: (json.loads(files[MANIFEST]), json.loads(files["pointers.json"]),
                                {path.split(".")[0]: json.loads(files[path])
                                 for path in sorted(files) if path.endswith(".asl.json")})
            for key, files in compilation.outputs.items()}


class InvalidConfig(Exception):
    """The config has problems: reported like `validate` does."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


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


__all__ = ["Definitions", "InvalidConfig", "Pipelines", "definitions", "execution_name", "locate", "parse_input"]
