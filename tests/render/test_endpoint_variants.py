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


def _deploy_definition(tmp_path, variants: dict) -> dict:
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    endpoint = config["pipelines"]["deploy"]["endpoint"]
    del endpoint["autoscaling"]
    endpoint["variants"] = variants
    config["pipelines"]["deploy"]["traffic"] = {"mode": "all-at-once"}
    repo = make_repo(tmp_path, "repo", config, SAMPLES / "mlops-platform.yaml")
    result = api.compile_outputs([str(repo)])
    assert result.validation.ok, result.validation.problems
    deploy = result.outputs["demand-forecast/default"]["deploy.asl.json"]
    return json.loads(deploy) if isinstance(deploy, (str, bytes)) else deploy


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
