"""Service limits and ASL well-formedness of the generated definitions.

Inputs: the samples (golden command) and LONG_NAMES_CONFIGS: a 32-character model name (the
schema's maximum) in a 16-character environment (the maximum), with every pipeline, stage kind
and deploy target, so every generated name is as long as it can get.

Names made at run time are `States.Format('<prefix>-{}', <token>)` with the token
`States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0)`, 8 hex characters: the tests
evaluate the literal template with an 8-hex token and measure the result.
"""

from __future__ import annotations

import json
import re

import pytest

from compile_helpers import (LONG_ENVIRONMENT, LONG_MODEL, LONG_NAMES_CONFIGS, SAMPLE_TOKEN,  # noqa: F401
                             TOKEN_EXPRESSION, all_states, asl_files, duplicate_keys, evaluate_format,
                             long_names_out, samples_out, walk)

ASL_LIMIT_BYTES = 1024 * 1024
STATE_NAME_LIMIT = 80
SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
#: Parameter key -> (limit, pattern) of the resource it names.
NAME_FIELDS = {
    "ProcessingJobName": (63, SAGEMAKER_NAME),
    "TrainingJobName": (63, SAGEMAKER_NAME),
    "HyperParameterTuningJobName": (32, SAGEMAKER_NAME),
    "ModelName": (63, SAGEMAKER_NAME),
    "EndpointConfigName": (63, SAGEMAKER_NAME),
    "EndpointName": (63, SAGEMAKER_NAME),
    "FunctionName": (64, re.compile(r"^[a-zA-Z0-9_-]{1,64}$")),
    "Family": (255, re.compile(r"^[a-zA-Z0-9_-]{1,255}$")),
    "ServiceName": (255, re.compile(r"^[a-zA-Z0-9_-]{1,255}$")),
}
#: Run-time values the names are made of, as they are at their longest.
RUNTIME_VALUES = {TOKEN_EXPRESSION: SAMPLE_TOKEN, "$.deployment.token": SAMPLE_TOKEN}
INTRINSIC = re.compile(r"^States\.[A-Za-z]+\(")
PAYLOADS = ("Parameters", "ResultSelector", "ItemSelector", "BatchInput")


@pytest.fixture(scope="module")
def outputs(samples_out, long_names_out) -> dict:
    return {"samples": samples_out, "long-names": long_names_out}


@pytest.fixture(scope="module")
def definitions(outputs) -> dict[str, tuple[str, dict]]:
    """label -> (raw text, parsed definition) of every generated ASL file."""
    found = {}
    for label, out in outputs.items():
        for path in asl_files(out):
            text = path.read_text(encoding="utf-8")
            found[f"{label}/{path.relative_to(out).as_posix()}"] = (text, json.loads(text))
    return found


def test_long_names_cover_every_environment_and_pipeline(long_names_out):
    written = {p.relative_to(long_names_out).as_posix() for p in asl_files(long_names_out)}
    models = {LONG_MODEL, LONG_MODEL[:-1] + "l", LONG_MODEL[:-1] + "e"}
    assert written == {f"{m}/{e}/{p}.asl.json" for m in models for e in (LONG_ENVIRONMENT, "dev")
                       for p in ("retrain", "deploy", "batch")}


def test_state_names_are_unique_in_the_raw_text(definitions):
    """json.loads keeps the last of two equal keys, so duplicates are looked for in the text."""
    duplicated = {label: duplicate_keys(text) for label, (text, _) in definitions.items()}
    assert not {label: keys for label, keys in duplicated.items() if keys}


def test_state_names_fit(definitions):
    for label, (_, definition) in definitions.items():
        for qualified in all_states(definition):
            name = qualified.rsplit(" / ", 1)[-1]
            assert 0 < len(name) <= STATE_NAME_LIMIT, f"{label}: state name {name!r} is {len(name)} long"


def test_definitions_are_below_one_megabyte(definitions):
    for label, (text, _) in definitions.items():
        assert len(text.encode("utf-8")) < ASL_LIMIT_BYTES, label


def test_dollar_keys_hold_paths_and_intrinsics_only_dollar_keys_do(definitions):
    for label, (_, definition) in definitions.items():
        for path, key, value in walk(definition):
            if key is None:
                continue
            if key.endswith(".$"):
                assert isinstance(value, str) and value.startswith(("$", "States.")), \
                    f"{label}: {path} is {value!r}, not a JSONPath or an intrinsic function"
            elif isinstance(value, str):
                assert not INTRINSIC.match(value), f"{label}: {path} holds an intrinsic without `.$`: {value!r}"


def test_payloads_hold_no_unevaluated_paths(definitions):
    """Inside Parameters and friends, a `$.`/`$$.` string under a plain key would be sent as text."""
    for label, (_, definition) in definitions.items():
        for path, key, value in walk(definition):
            in_payload = any(f"/{part}/" in path for part in PAYLOADS)
            if in_payload and key is not None and not key.endswith(".$") and isinstance(value, str):
                assert not value.startswith(("$.", "$$.")), f"{label}: {path} = {value!r} is not evaluated"


def _name_value(definition: dict, value: str) -> str:
    """The name a `...Name` / `...Name.$` value stands for at run time, at its longest."""
    if value.startswith("States.Format("):
        return evaluate_format(value, RUNTIME_VALUES)
    if value == "$.endpoint.EndpointConfigName":  # the config the endpoint serves: one a deployment named (issue 13, item 8)
        return _name_value(definition, "$.deployment.endpoint_config")
    for named_by in ("$.deployment", "$.transform"):  # a deployment's names, a transform run's model name
        if value.startswith(named_by + "."):
            field = value.removeprefix(named_by + ".")
            for state in all_states(definition).values():
                if state.get("ResultPath") == named_by and f"{field}.$" in state.get("Parameters", {}):
                    return _name_value(definition, state["Parameters"][f"{field}.$"])
            raise AssertionError(f"no state sets {value}")
    raise AssertionError(f"cannot measure a name given as {value!r}")


def _names(label: str, definition: dict):
    """(parameter key, path, name) of every resource name set in a payload."""
    for path, key, value in walk(definition):
        if key is None or not any(f"/{part}/" in path for part in PAYLOADS):
            continue
        field = key.removesuffix(".$")
        if field in NAME_FIELDS and isinstance(value, str):
            yield field, path, _name_value(definition, value) if key.endswith(".$") else value


def test_generated_names_fit_their_service_limits(definitions):
    measured = set()
    for label, (_, definition) in definitions.items():
        for field, path, name in _names(label, definition):
            limit, pattern = NAME_FIELDS[field]
            assert len(name) <= limit, f"{label}: {path} makes {name!r}, {len(name)} > {limit}"
            assert pattern.match(name), f"{label}: {path} makes {name!r}, not a valid {field}"
            measured.add(field)
    # The long-names configs use every kind of name: none of the checks above was vacuous.
    assert measured >= {"ProcessingJobName", "TrainingJobName", "HyperParameterTuningJobName", "ModelName",
                        "EndpointConfigName", "EndpointName", "FunctionName", "Family", "ServiceName"}


def test_per_attempt_names_carry_a_fresh_token(definitions):
    """Job names end in a token cut from States.UUID(), new on each evaluation (each retry)."""
    for label, (_, definition) in definitions.items():
        for path, key, value in walk(definition):
            if key in ("ProcessingJobName.$", "TrainingJobName.$", "HyperParameterTuningJobName.$"):
                assert value.startswith("States.Format(") and value.endswith(f", {TOKEN_EXPRESSION})"), \
                    f"{label}: {path} = {value!r}"


def test_deployment_resource_names_come_from_the_token(definitions):
    for label, (_, definition) in definitions.items():
        states = all_states(definition)
        if "Create model" not in states or "Create endpoint config" not in states:  # a deploy's, not a transform's
            continue
        assert states["Create model"]["Parameters"]["ModelName.$"] == "$.deployment.model"
        assert states["Create endpoint config"]["Parameters"]["EndpointConfigName.$"] == "$.deployment.endpoint_config"
        assert states["Make deployment token"]["Parameters"] == {"token.$": TOKEN_EXPRESSION}


def test_state_machine_and_rule_names_fit(outputs):
    checked = 0
    for out in outputs.values():
        for pointers_file in sorted(out.glob("*/*/pointers.json")):
            machines = json.loads(pointers_file.read_text())["state_machines"]
            for machine in machines.values():
                assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", machine["name"]), machine["name"]
                assert machine["arn"].endswith(f":stateMachine:{machine['name']}")
                checked += 1
            rules = json.loads((pointers_file.parent / "triggers.json").read_text())["rules"]
            names = [rule["Name"] for rule in rules]
            assert len(set(names)) == len(names), names
            for name in names:
                assert re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", name), f"{pointers_file.parent}: rule {name!r}"
                checked += 1
            for rule in rules:
                assert len(rule["Description"]) <= 512
    assert checked


def test_long_names_rules_are_shortened_but_distinct(long_names_out):
    """model-env-pipeline-kind is 66 characters for the longest names: a hash keeps them apart."""
    names = []
    for triggers_file in sorted(long_names_out.glob("*/*/triggers.json")):
        names += [rule["Name"] for rule in json.loads(triggers_file.read_text())["rules"]]
    assert max(len(n) for n in names) == 64
    assert len(set(names)) == len(names)
