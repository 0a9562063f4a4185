"""Hostile strings in every free-text field come out as the same literal strings, and change nothing
else: no state is added, removed or rewired, no literal becomes a JSONPath or intrinsic.

The config (compile_helpers.hostile_config) puts each HOSTILE string into stage environment values,
container commands, SageMaker hyper-parameters, the deploy environment, the monitor's baseline and
drift job, build_args, test commands and the model description. (Tags, names and ARNs are restricted by the schema, so they are not
free text.) Its baseline twin has the same structure with plain strings.
"""

from __future__ import annotations

import json
import shlex

import pytest
import yaml

from compile_helpers import (HOSTILE, all_states, duplicate_keys, hostile_out, strings_in, walk,  # noqa: F401
                             wiring)

MODEL = "hostile-model/default"
EXPECTED_ENV = {f"USER_VAR_{i:02d}": s for i, s in enumerate(HOSTILE)}
EXPECTED_HP = {f"hp_{i:02d}": s for i, s in enumerate(HOSTILE)}


def load(out, model, name):
    text = (out / model / name).read_text(encoding="utf-8")
    assert not duplicate_keys(text), f"{model}/{name} has duplicate keys"
    return json.loads(text)


@pytest.fixture(scope="module")
def hostile(hostile_out):
    return {p: load(hostile_out["hostile"], MODEL, f"{p}.asl.json") for p in ("retrain", "deploy", "batch", "drift")}


@pytest.fixture(scope="module")
def baseline(hostile_out):
    return {p: load(hostile_out["baseline"], MODEL, f"{p}.asl.json") for p in ("retrain", "deploy", "batch", "drift")}


def ecs_environment(state) -> dict:
    override = state["Parameters"]["Overrides"]["ContainerOverrides"][0]
    return {e["Name"]: e["Value"] for e in override["Environment"] if "Value" in e}


@pytest.mark.parametrize("pipeline", ["retrain", "deploy", "batch", "drift"])
def test_same_states_and_wiring_as_the_baseline(hostile, baseline, pipeline):
    assert list(all_states(hostile[pipeline])) == list(all_states(baseline[pipeline]))
    assert wiring(hostile[pipeline]) == wiring(baseline[pipeline])
    assert hostile[pipeline]["StartAt"] == baseline[pipeline]["StartAt"]


@pytest.mark.parametrize("pipeline", ["retrain", "deploy", "batch", "drift"])
def test_same_keys_as_the_baseline(hostile, baseline, pipeline):
    """Every member path (with `.$` suffixes) is the same: no literal turned into a path, no key injected."""
    def paths(definition):
        return [path for path, key, _ in walk(definition) if key is not None]
    assert paths(hostile[pipeline]) == paths(baseline[pipeline])


def test_fargate_stages_get_the_literal_command_and_environment(hostile):
    states = hostile["retrain"]["States"]
    for name in ("Validate", "Evaluate"):
        override = states[name]["Parameters"]["Overrides"]["ContainerOverrides"][0]
        assert override["Command"] == list(HOSTILE)
        environment = ecs_environment(states[name])
        assert {k: environment[k] for k in EXPECTED_ENV} == EXPECTED_ENV
    score = hostile["batch"]["States"]["Score"]
    assert score["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"] == list(HOSTILE)
    assert {k: ecs_environment(score)[k] for k in EXPECTED_ENV} == EXPECTED_ENV


def test_sagemaker_stages_get_the_literal_entrypoint_environment_and_hyperparameters(hostile):
    states = hostile["retrain"]["States"]
    transform = states["Transform"]["Parameters"]
    assert transform["AppSpecification"]["ContainerEntrypoint"] == list(HOSTILE)
    assert {k: transform["Environment"][k] for k in EXPECTED_ENV} == EXPECTED_ENV
    train = states["Train"]["Parameters"]
    assert train["AlgorithmSpecification"]["ContainerEntrypoint"] == list(HOSTILE)
    assert train["HyperParameters"] == EXPECTED_HP
    assert {k: train["Environment"][k] for k in EXPECTED_ENV} == EXPECTED_ENV


def test_fargate_training_gets_the_hyperparameters_as_json(hostile_out):
    retrain = load(hostile_out["hostile"], "hostile-fargate/default", "retrain.asl.json")
    environment = ecs_environment(retrain["States"]["Train"])
    assert json.loads(environment["MLOPS_PARAMS"]) == EXPECTED_HP


def test_deploy_environment_is_literal(hostile):
    # merged over the function's own variables before "Update function configuration" (issue 13, item 15)
    variables = hostile["deploy"]["States"]["Deployment environment"]["Parameters"]["Variables"]
    assert {k: variables[k] for k in EXPECTED_ENV} == EXPECTED_ENV


@pytest.mark.parametrize("pipeline", ["retrain", "deploy", "batch", "drift"])
def test_evaluated_and_structural_values_equal_the_baseline(hostile, baseline, pipeline):
    """Every value the service evaluates (`.$` keys) and every structural field (Next, Type,
    Resource, Variable, ...) is the same as in the plain baseline: user strings reach only
    literal fields."""
    structural = {"Next", "Default", "Type", "Resource", "StartAt", "End", "ResultPath", "Variable",
                  "ErrorEquals", "Error", "Cause"}

    def evaluated(definition):
        return {path: value for path, key, value in walk(definition)
                if key is not None and (key.endswith(".$") or key in structural)}
    assert evaluated(hostile[pipeline]) == evaluated(baseline[pipeline])


def test_every_hostile_string_arrives_somewhere_in_each_pipeline(hostile):
    for pipeline, definition in hostile.items():
        found = {value for _, value in strings_in(definition)}
        assert set(HOSTILE) <= found, f"{pipeline} lost {sorted(set(HOSTILE) - found)}"


def test_buildspec_keeps_test_commands_and_quotes_build_args(hostile_out):
    spec = yaml.safe_load((hostile_out["hostile"] / MODEL / "buildspec.yml").read_text(encoding="utf-8"))
    pre_build = spec["phases"]["pre_build"]["commands"]
    assert pre_build[-len(HOSTILE):] == list(HOSTILE), "test commands are the user's shell, copied as written"
    (build,) = spec["phases"]["build"]["commands"]
    words = shlex.split(build)
    args = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "--build-arg")
    assert args == {f"ARG_{i:02d}": s for i, s in enumerate(HOSTILE)}


def test_other_outputs_parse(hostile_out):
    for name in ("pointers.json", "triggers.json", "manifest.json"):
        load(hostile_out["hostile"], MODEL, name)
