"""Every generated state machine passes two validators that share no code with mlopsc:

- the npm `asl-validator` (pinned in package.json/package-lock.json; `npm ci` installs it into
  node_modules), run once over all files with repeated --json-path options;
- `cfn-lint` (the `test` extra), on each definition wrapped as the `Definition` of an
  AWS::StepFunctions::StateMachine (its rule E3601 validates the definition).

Inputs: every sample and environment (the golden command), the longest-names configs and the
hostile-strings configs. A missing validator skips these tests locally and fails them under
CI=true. The negative controls prove each validator really rejects a broken definition, so a
validator that silently accepts everything (wrong invocation, output not parsed) fails the suite.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from compile_helpers import (AslValidator, CfnLint, asl_files, hostile_out, long_names_out,  # noqa: F401 (fixtures)
                             samples_out)

pytestmark = pytest.mark.e2e  # npm tools (asl-validator, ASL schema) on every output

EXPECTED_SAMPLE_FILES = {
    "abalone/staging/retrain.asl.json", "abalone/staging/deploy.asl.json", "abalone/staging/batch.asl.json",
    "abalone/prod/deploy.asl.json", "abalone/ab/deploy.asl.json", "abalone/shadow/deploy.asl.json",
    "abalone/serverless/deploy.asl.json", "abalone/async/deploy.asl.json",
    "churn-fargate/default/retrain.asl.json", "churn-fargate/default/batch.asl.json",
    "demand-forecast/default/retrain.asl.json", "demand-forecast/default/deploy.asl.json",
    "demand-forecast/default/batch.asl.json",
    "fraud-scoring/dev/retrain.asl.json", "fraud-scoring/dev/deploy.asl.json",
    "fraud-scoring/prod/retrain.asl.json", "fraud-scoring/prod/deploy.asl.json",
    "fraud-scoring/dev/drift.asl.json", "fraud-scoring/prod/drift.asl.json",
}


@pytest.fixture(scope="module")
def generated(samples_out, long_names_out, hostile_out) -> dict[str, Path]:
    """label ("samples/model/env/file") -> path of every generated ASL file under test."""
    found = {}
    for label, out in [("samples", samples_out), ("long-names", long_names_out), ("hostile", hostile_out["hostile"])]:
        for path in asl_files(out):
            found[f"{label}/{path.relative_to(out).as_posix()}"] = path
    return found


def test_every_sample_pipeline_is_validated(samples_out):
    """The validators below see every sample, environment and pipeline (none silently missing)."""
    assert {p.relative_to(samples_out).as_posix() for p in asl_files(samples_out)} == EXPECTED_SAMPLE_FILES


# --------------------------------------------------------------------------- asl-validator

def _asl_validator_quirk(value) -> bool:
    """asl-validator 4.0.0 checks each string item of an array in a JSONPath payload template
    against `not_jsonata`, pattern ^(?!\\{% )(.+)(?! %\\})$ (node_modules/asl-validator/dist/src/
    schemas/jsonata.json): without the dotall flag `.+` refuses a newline, and an item that starts
    with "{% " is refused as JSONata. The ASL specification allows any string there (cfn-lint
    accepts them), so hostile command items of these two shapes are swapped for plain text in the
    copies given to asl-validator; test_asl_validator_quirk_is_known keeps the swap honest."""
    return isinstance(value, str) and ("\n" in value or "\r" in value or "\u2028" in value or value.startswith("{% "))


def _without_quirk(node):
    if isinstance(node, dict):
        return {key: _without_quirk(value) for key, value in node.items()}
    if isinstance(node, list):
        return ["array item" if _asl_validator_quirk(item) else _without_quirk(item) for item in node]
    return node


@pytest.fixture(scope="module")
def asl_results(generated, tmp_path_factory) -> dict[str, tuple[bool, str]]:
    AslValidator.require()
    copies = tmp_path_factory.mktemp("asl-validator")
    paths = {}
    for index, (label, path) in enumerate(sorted(generated.items())):
        if label.startswith("hostile/"):
            paths[label] = copies / f"{index:03d}.asl.json"
            paths[label].write_text(json.dumps(_without_quirk(json.loads(path.read_text())), indent=2,
                                               ensure_ascii=False), encoding="utf-8")
        else:
            paths[label] = path
    results = AslValidator.run(list(paths.values()))
    return {label: results[str(path)] for label, path in paths.items()}


def test_asl_validator_quirk_is_known(tmp_path):
    """The one thing the hostile copies hide from asl-validator is its array-item pattern: a
    definition differing from a valid one only in such an item is refused; the swapped copy passes."""
    AslValidator.require()
    definition = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "End": True,
        "Parameters": {"Overrides": {"ContainerOverrides": [{"Name": "main", "Command": ["python", "x"]}]}}}}}
    quirky = copy.deepcopy(definition)
    quirky["States"]["Run"]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"] = ["new\nline"]
    paths = [tmp_path / "plain.json", tmp_path / "quirky.json", tmp_path / "swapped.json"]
    for path, data in zip(paths, [definition, quirky, _without_quirk(quirky)]):
        path.write_text(json.dumps(data))
    results = AslValidator.run(paths)
    assert [results[str(p)][0] for p in paths] == [True, False, True], results


def test_asl_validator_accepts_every_generated_definition(asl_results):
    rejected = {label: message for label, (ok, message) in asl_results.items() if not ok}
    assert not rejected, "asl-validator rejected:\n" + "\n".join(f"{k}:\n  {v}" for k, v in rejected.items())
    assert len(asl_results) >= len(EXPECTED_SAMPLE_FILES) + 9


def _broken(definition: dict) -> dict[str, dict]:
    """Broken copies of a valid definition, each with one defect a validator must catch."""
    first_task = next(name for name, state in definition["States"].items() if state["Type"] == "Task")
    missing_next = copy.deepcopy(definition)
    missing_next["States"][first_task]["Next"] = "No such state"
    unknown_type = copy.deepcopy(definition)
    unknown_type["States"][first_task]["Type"] = "Taskk"
    bad_start = copy.deepcopy(definition)
    bad_start["StartAt"] = "No such state"
    misspelt_field = copy.deepcopy(definition)
    misspelt_field["States"][first_task]["Nxet"] = misspelt_field["States"][first_task].pop("Next")
    return {"missing Next target": missing_next, "unknown state Type": unknown_type,
            "StartAt names no state": bad_start, "misspelt Next field": misspelt_field}


@pytest.fixture(scope="module")
def control_definition(samples_out) -> dict:
    return json.loads((samples_out / "churn-fargate/default/retrain.asl.json").read_text())


def test_asl_validator_rejects_broken_definitions(control_definition, tmp_path):
    """Negative controls: the same call that accepts the generated files rejects each defect."""
    AslValidator.require()
    paths = {}
    for defect, definition in _broken(control_definition).items():
        paths[defect] = tmp_path / f"{defect.replace(' ', '-')}.asl.json"
        paths[defect].write_text(json.dumps(definition, indent=2))
    good = tmp_path / "good.asl.json"
    good.write_text(json.dumps(control_definition, indent=2))
    results = AslValidator.run([good, *paths.values()])
    assert results[str(good)][0], results[str(good)][1]
    accepted = [defect for defect, path in paths.items() if results[str(path)][0]]
    assert not accepted, f"asl-validator accepted broken definitions: {accepted}"
    assert "No such state" in results[str(paths["missing Next target"])][1]
    assert "Type" in results[str(paths["unknown state Type"])][1]


# --------------------------------------------------------------------------- cfn-lint

@pytest.fixture(scope="module")
def cfn_results(generated, tmp_path_factory) -> dict[str, list[str]]:
    CfnLint.require()
    definitions = {label: json.loads(path.read_text()) for label, path in generated.items()}
    return CfnLint.run(definitions, tmp_path_factory.mktemp("cfn-lint"))


def test_cfn_lint_accepts_every_generated_definition(cfn_results):
    problems = {label: found for label, found in cfn_results.items() if found}
    assert not problems, "cfn-lint found:\n" + "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items())
    assert len(cfn_results) >= len(EXPECTED_SAMPLE_FILES) + 9


def test_cfn_lint_rejects_broken_definitions(control_definition, tmp_path):
    """Negative controls. cfn-lint's E3601 checks the definition's structure (types, fields, StartAt)
    but not every transition target (asl-validator covers that), so its controls are these."""
    CfnLint.require()
    broken = _broken(control_definition)
    cases = {defect: broken[defect] for defect in ("unknown state Type", "StartAt names no state", "misspelt Next field")}
    results = CfnLint.run({"good": control_definition, **cases}, tmp_path)
    assert results["good"] == []
    accepted = [defect for defect in cases if not results[defect]]
    assert not accepted, f"cfn-lint accepted broken definitions: {accepted}"
    assert all(any("E3601" in p for p in results[defect]) for defect in cases), results
