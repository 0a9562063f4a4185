"""The deploy pipeline of an endpoint with A/B variants, compiled (and so proven by `mlopsc
verify`) for the variant versions the config can name."""

from __future__ import annotations

import json

import pytest
import yaml

from compile_helpers import make_repo
from compiler import api
from paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"


def _compiled(tmp_path, variants: dict, traffic: dict | None = None) -> dict:
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    endpoint = config["pipelines"]["deploy"]["endpoint"]
    del endpoint["autoscaling"]
    endpoint["variants"] = variants
    config["pipelines"]["deploy"]["traffic"] = {"mode": "all-at-once", **(traffic or {})}
    config["environments"] = {"default": {}}  # the sample's `async` environment scales, which variants refuse
    repo = make_repo(tmp_path, "repo", config, SAMPLES / "mlops-platform.yaml")
    result = api.compile_outputs([str(repo)])  # verify proves each definition
    assert result.validation.ok, result.validation.problems
    return {name: json.loads(text) if isinstance(text, (str, bytes)) else text
            for name, text in result.outputs["demand-forecast/default"].items() if name.endswith(".json")}


def _deploy_definition(tmp_path, variants: dict) -> dict:
    return _compiled(tmp_path, variants)["deploy.asl.json"]


@pytest.mark.parametrize("versions, states", [
    ({"a": "candidate", "b": "candidate"}, []),  # one model for both: no variant states, no failure of theirs
    ({"a": "candidate", "b": "v7"}, ["Read version: b", "Check version: b", "Create model: b",
                                     "Notify variant version not deployable", "Record variant version not deployable",
                                     "Publish variant version not deployable", "Variant version not deployable"]),
])
def test_variant_states_are_there_only_for_variants_of_another_version(tmp_path, versions, states):
    definition = _deploy_definition(tmp_path, {name: {"version": version, "weight": 1} for name, version in versions.items()})

    found = [name for name in definition["States"] if name.startswith(("Read version: ", "Check version: ", "Create model: "))
             or "ariant version" in name]
    assert sorted(found) == sorted(states)
    assert "Read live deployment" not in definition["States"]  # no variant serves `live`
    config = definition["States"]["Create endpoint config"]["Parameters"]
    assert [v["VariantName"] for v in config["ProductionVariants"]] == sorted(versions)


def _statements(node):
    if isinstance(node, dict):
        if "Action" in node:
            yield node
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def test_an_ab_test_with_alarms_and_bake_watches_the_variants_under_test_and_may_stop_them(tmp_path):
    """Variants serving `live` are the reference and keep their traffic; the candidate and a named
    version are under test: their per-variant alarms are read, their weight set to 0."""
    outputs = _compiled(tmp_path, {"old": {"version": "live", "weight": 2}, "new": {"version": "candidate", "weight": 1},
                                   "pinned": {"version": "v7", "weight": 1}},
                        {"bake": "20m", "alarms": ["monitor:error-rate", "monitor:latency-p99"]})
    states = outputs["deploy.asl.json"]["States"]

    assert states["Is endpoint ready?"]["Choices"][0]["Next"] == "Wait variant bake"
    assert states["Wait variant bake"] == {"Type": "Wait", "Seconds": 1200, "Next": "Check variant alarms"}
    assert states["Check variant alarms"]["Parameters"] == {"StateValue": "ALARM", "AlarmNames": [
        f"demand-forecast-default-{alarm}-{variant}" for alarm in ("error-rate", "latency-p99") for variant in ("new", "pinned")]}
    assert states["Check variant alarms: firing?"]["Default"] == "Record deployed"
    stop = states["Stop variants under test"]
    assert stop["Parameters"]["DesiredWeightsAndCapacities"] == [{"VariantName": "new", "DesiredWeight": 0},
                                                                 {"VariantName": "pinned", "DesiredWeight": 0}]
    assert stop["Next"] == "Notify deployment rolled back"
    statements = list(_statements(outputs["iam.json"]))
    assert any("sagemaker:UpdateEndpointWeightsAndCapacities" in s["Action"]
               and "arn:aws:sagemaker:eu-west-1:111111111111:endpoint/demand-forecast-default" in s["Resource"]
               for s in statements)
    read = [s for s in statements if s["Action"] == ["cloudwatch:DescribeAlarms"]]
    assert sorted(r for s in read for r in s["Resource"]) == sorted(
        f"arn:aws:cloudwatch:eu-west-1:111111111111:alarm:demand-forecast-default-{alarm}-{variant}"
        for alarm in ("error-rate", "latency-p99") for variant in ("new", "pinned"))


def test_an_ab_test_without_alarms_goes_on_as_before(tmp_path):
    states = _compiled(tmp_path, {"a": {"version": "live", "weight": 1}, "b": {"version": "candidate", "weight": 1}})[
        "deploy.asl.json"]["States"]

    assert "Wait variant bake" not in states and "Stop variants under test" not in states
    assert states["Is endpoint ready?"]["Choices"][0]["Next"] == "Record deployed"
