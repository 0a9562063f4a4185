"""Staging and prod in one account never share a live AWS resource (issue 13, item 4).

Every name that exists once per account and region (state machines, rules, alarms, dashboards,
monitoring schedules, task families, the endpoint, function or service that serves) differs per
model and environment; and validate refuses environments, or models of one monorepo, that would
still resolve to the same one (an explicit name two environments share, or two models whose
`<model>-<environment>` are alike).
"""

from __future__ import annotations

import json

import pytest
import yaml

from compile_helpers import SAMPLES, make_repo
from compiler import api

#: Keys under which the compiled files name a resource that exists once per account/region.
LIVE_NAME_KEYS = {"EndpointName", "FunctionName", "ServiceName", "Service", "Services", "MonitoringScheduleName",
                  "AlarmName", "AlarmNames", "DashboardName", "Family", "family", "ResourceId", "PolicyName"}
SAMPLE_FOLDERS = ("churn-fargate", "demand-forecast", "fraud-lambda")


def sample_config(folder: str) -> dict:
    return yaml.safe_load((SAMPLES / folder / "mlops.yaml").read_text())


def own_batch_output(config: dict, env: str) -> dict:
    """An overlay giving the environment a batch output of its own, as staging and prod need."""
    if not config["pipelines"].get("batch"):
        return {}
    return {"pipelines": {"batch": {"output": f"s3://acme-ml-artifacts/{config['model']['name']}/{env}/predictions/"}}}


def staging_and_prod(config: dict) -> dict:
    """The sample with two environments in the platform's one account and region."""
    config = dict(config)
    config["environments"] = {env: own_batch_output(config, env) for env in ("staging", "prod")}
    return config


def live_names(files: dict) -> set:
    found = set()

    def walk(node, rules=False):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in LIVE_NAME_KEYS or (rules and key == "Name"):
                    found.update([value] if isinstance(value, str) else value)
                walk(value, rules)
        elif isinstance(node, list):
            for value in node:
                walk(value, rules)

    for name, text in files.items():
        if name.endswith(".json"):
            data = json.loads(text)
            walk(data, rules=name == "triggers.json")
            if name == "pointers.json":
                found.update(machine["name"] for machine in data["state_machines"].values())
    return {name for name in found if isinstance(name, str)}


@pytest.mark.parametrize("folder", SAMPLE_FOLDERS)
def test_staging_and_prod_in_one_account_share_no_live_name(tmp_path, folder):
    config = sample_config(folder)
    for target in ("function", "endpoint", "service"):  # the derived names (explicit ones: below)
        (config["pipelines"].get("deploy") or {}).get(target, {}).pop("name", None)
    repo = make_repo(tmp_path, folder, staging_and_prod(config))
    result = api.compile_outputs([str(repo)])
    assert result.validation.ok, result.validation.problems
    model = config["model"]["name"]
    staging, prod = (live_names(result.outputs[f"{model}/{env}"]) for env in ("staging", "prod"))
    assert staging and prod
    assert staging & prod == set()


def test_the_endpoint_is_named_after_model_and_environment(tmp_path):
    repo = make_repo(tmp_path, "demand-forecast", staging_and_prod(sample_config("demand-forecast")))
    result = api.compile_outputs([str(repo)])
    for env in ("staging", "prod"):
        deploy = json.loads(result.outputs[f"demand-forecast/{env}"]["deploy.asl.json"])
        assert deploy["States"]["Create endpoint"]["Parameters"]["EndpointName"] == f"demand-forecast-{env}"


def problems_of(result, rule="live-names"):
    return [p for p in result.problems if p.rule == rule]


def test_an_explicit_endpoint_name_two_environments_share_is_refused_where_it_is_written(tmp_path):
    config = staging_and_prod(sample_config("demand-forecast"))
    config["pipelines"]["deploy"]["endpoint"]["name"] = "forecast-live"
    repo = make_repo(tmp_path, "demand-forecast", config)
    result = api.validate([str(repo)])

    problems = problems_of(result)
    assert len(problems) == 2 and {p.path for p in problems} == {"pipelines.deploy.endpoint.name"}, result.problems
    lines = (repo / "mlops.yaml").read_text().splitlines()
    assert all("forecast-live" in lines[p.line - 1] for p in problems)  # the line that sets it
    assert "SageMaker endpoint 'forecast-live'" in problems[0].message
    assert "(prod," in " ".join(p.message for p in problems) and "(staging," in " ".join(p.message for p in problems)
    assert "environments.<env>.pipelines.deploy" in problems[0].hint


def test_an_explicit_name_per_environment_or_per_account_is_accepted(tmp_path):
    config = staging_and_prod(sample_config("demand-forecast"))
    config["environments"]["staging"]["pipelines"]["deploy"] = {"endpoint": {"name": "forecast-staging"}}
    config["environments"]["prod"]["pipelines"]["deploy"] = {"endpoint": {"name": "forecast-live"}}
    assert api.validate([str(make_repo(tmp_path / "a", "demand-forecast", config))]).ok
    # fraud-lambda's explicit function name is shared by dev and prod, which are different accounts
    assert api.validate([str(SAMPLES / "fraud-lambda")]).ok


def test_an_explicit_function_name_in_one_account_is_refused(tmp_path):
    config = sample_config("fraud-lambda")
    config["environments"] = {"dev": config["environments"]["dev"], "staging": own_batch_output(config, "staging")}
    result = api.validate([str(make_repo(tmp_path, "fraud-lambda", config))])
    assert {p.path for p in problems_of(result)} == {"pipelines.deploy.function.name"}, result.problems


def test_two_models_of_a_monorepo_whose_names_meet_are_refused(tmp_path):
    first = sample_config("churn-fargate")
    first["model"]["name"] = "churn"
    first["environments"] = {"eu-prod": own_batch_output(first, "eu-prod")}
    second = sample_config("churn-fargate")
    second["model"]["name"] = "churn-eu"
    second["environments"] = {"prod": own_batch_output(second, "prod")}
    make_repo(tmp_path, "first", first)
    make_repo(tmp_path, "second", second)
    result = api.validate([str(tmp_path / "first"), str(tmp_path / "second")])

    problems = problems_of(result)
    assert len(problems) == 2 and {p.path for p in problems} == {"model.name"}, result.problems
    assert {p.file.split("/")[-2] for p in problems} == {"first", "second"}
    assert "'churn-eu-prod'" in problems[0].message


@pytest.mark.parametrize("folder", SAMPLE_FOLDERS)
def test_runs_of_staging_and_prod_write_apart_in_a_shared_artifact_bucket(tmp_path, folder):
    """A run's files are under <model>/<environment>/: run ids are execution names, unique per
    state machine only, and apply names the on-commit run of every environment alike."""
    import re

    config = sample_config(folder)
    for target in ("function", "endpoint", "service"):  # explicit names: refused when shared (above)
        (config["pipelines"].get("deploy") or {}).get(target, {}).pop("name", None)
    result = api.compile_outputs([str(make_repo(tmp_path, folder, staging_and_prod(config)))])
    assert result.validation.ok, result.validation.problems
    model = config["model"]["name"]
    for env in ("staging", "prod"):
        text = "\n".join(t for name, t in result.outputs[f"{model}/{env}"].items() if name.endswith(".asl.json"))
        keys = re.findall(r"s3://acme-ml-artifacts/([^'\"]*)", text)
        assert keys
        assert all(key.startswith(f"{model}/{env}/") for key in keys), sorted({k for k in keys if not k.startswith(f"{model}/{env}/")})

