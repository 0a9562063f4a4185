"""Find the state machines of a model's pipelines: compile the config in memory and read the manifest.

The state machine of a pipeline is found the way `compile` names it: the config (PATH, default
`.`) and its platform file are compiled in memory, and the environment's manifest and pointers
give the account, region and state machine ARNs. Nothing is written.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Optional

from compiler.apply.errors import ApplyError, ApplyInputError


@dataclasses.dataclass(frozen=True)
class Pipelines:
    model: str
    environment: str
    account: str
    region: str
    state_machines: dict  # pipeline -> ARN


class RunInputError(ApplyInputError):
    """PATH, --env, --model or --input cannot be used (exit 2)."""


def locate(paths: list[str], platform_file: Optional[str], environment: str, model: Optional[str]) -> Pipelines:
    """The compiled pipelines of one model in one environment; raises RunInputError or
    compiler.api's ConfigError-carrying Compilation problems as RunInputError."""
    from compiler import api, discover

    try:
        compilation = api.compile_outputs(paths, platform_file, environment)
    except (discover.DiscoveryError, api.UnknownEnvironment) as error:
        raise RunInputError(str(error), "pass a model repository (its mlops.yaml) and one of its environments") from None
    if not compilation.validation.ok:
        raise InvalidConfig(compilation.validation.problems)
    found = {key.split("/")[0]: files for key, files in compilation.outputs.items()}
    if model is not None and model not in found:
        raise RunInputError(f"no model '{model}' here", f"models found: {', '.join(sorted(found))}")
    if model is None and len(found) != 1:
        raise RunInputError(f"{len(found)} models found: {', '.join(sorted(found))}", "name one with --model")
    files = found[model or next(iter(found))]
    manifest, pointers = json.loads(files["manifest.json"]), json.loads(files["pointers.json"])
    return Pipelines(manifest["model"], manifest["environment"], manifest["target"]["account"],
                     manifest["target"]["region"],
                     {pipeline: machine["arn"] for pipeline, machine in pointers["state_machines"].items()})


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
        raise RunInputError(f"--input is not JSON ({error})", "e.g. --input '{\"trigger\": \"manual\"}'") from None
    if not isinstance(value, dict):
        raise RunInputError("--input must be a JSON object", "state machines take an object as input")
    return json.dumps(value, sort_keys=True)


__all__ = ["ApplyError", "InvalidConfig", "Pipelines", "RunInputError", "execution_name", "locate", "parse_input"]
