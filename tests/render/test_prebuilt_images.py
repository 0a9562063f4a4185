"""Prebuilt images (`runtimes.<name>.image`, `code`) compiled: the buildspec builds only Dockerfile
runtimes and uploads code folders, the definitions name prebuilt images literally and are proven
by `mlopsc verify`, the pointers and the manifest say how each image is pinned, IAM pulls only what
ECS pulls, and bootstrap makes no ECR repository for an image it does not build."""

from __future__ import annotations

import json
import shlex

import jsonschema
import pytest
import yaml

from compile_helpers import invoke, make_repo
from compiler import api
from compiler.verify import verify_rendered
from paths import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "tests" / "support" / "buildspec.schema.json").read_text())
TAG = "$CODEBUILD_RESOLVED_SOURCE_VERSION"
SKLEARN = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
DIGEST = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/platform/base@sha256:" + "ab" * 32

STAGES = """\
stage_defaults:
  timeout: 1h
  compute: sagemaker
  instance_type: ml.m5.large
pipelines:
  retrain:
    data:
      source: "s3://acme-ml-data/abalone/"
    triggers:
      schedule: "rate(7 days)"
    stages:
      validate:
        runtime: {validate}
        compute: fargate
        cpu: 1024
        memory: 2048
      transform:
        runtime: sklearn
        command: [python3, /opt/ml/processing/input/code/main.py]
      train:
        runtime: xgboost
      evaluate:
        runtime: {evaluate}
        gate:
          - {{metric: rmse, at_most: 3.0}}
  deploy:
    target: sagemaker-endpoint
    runtime: xgboost
    endpoint:
      instance_type: ml.m5.large
      instance_count: 1
"""

PREBUILT_ONLY = f"""\
version: 1
model:
  name: abalone-prebuilt
runtimes:
  base:
    image: {DIGEST}
  sklearn:
    image: {{framework: sklearn, version: "1.2-1"}}
    code: src/preprocess
  xgboost:
    image: {{framework: xgboost, version: "1.7-1"}}
""" + STAGES.format(validate="base", evaluate="xgboost")

MIXED = """\
version: 1
model:
  name: abalone-mixed
runtimes:
  app:
    dockerfile: docker/app.Dockerfile
  sklearn:
    image: {framework: sklearn, version: "1.2-1"}
    code: src/preprocess
  xgboost:
    image: {framework: xgboost, version: "1.7-1"}
build:
  test_commands: [pytest -q]
""" + STAGES.format(validate="xgboost", evaluate="app")


def _compile(tmp_path, name: str, config: str) -> dict:
    repo = make_repo(tmp_path, name, config)
    result = api.compile_outputs([str(repo)], None)
    assert result.validation.ok, result.validation.problems
    (files,) = result.outputs.values()
    return files


@pytest.fixture
def prebuilt(tmp_path) -> dict:
    return _compile(tmp_path, "abalone-prebuilt", PREBUILT_ONLY)


@pytest.fixture
def mixed(tmp_path) -> dict:
    return _compile(tmp_path, "abalone-mixed", MIXED)


def _states(definition: dict) -> dict:
    found = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in state.get("Branches", []) + ([state["ItemProcessor"]] if "ItemProcessor" in state else []):
            found.update(_states(branch))
    return found


def test_a_model_of_prebuilt_images_only_has_a_valid_buildspec_that_builds_nothing(prebuilt):
    spec = yaml.safe_load(prebuilt["buildspec.yml"])
    assert not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(spec))
    every = [c for phase in spec["phases"].values() for c in phase["commands"]]
    assert not any(c.startswith("docker ") or "docker login" in c for c in every), "nothing to build, push or log in to"
    post = spec["phases"]["post_build"]["commands"]
    assert post[0] == "echo '{}' > images.json" and post[-1] == "cat images.json"  # {}: apply needs no image
    (upload,) = [shlex.split(c) for c in post if c.startswith("aws s3 cp")]
    assert upload[-2:] == ["src/preprocess", f"s3://acme-ml-artifacts/abalone-prebuilt/code/{TAG}/sklearn/"]
    assert spec["artifacts"]["files"] == ["images.json"]


def test_a_mixed_model_builds_and_pushes_only_its_dockerfile_runtime(mixed):
    spec = yaml.safe_load(mixed["buildspec.yml"])
    assert not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(spec))
    (build,) = spec["phases"]["build"]["commands"]
    assert shlex.split(build)[:4] == ["docker", "build", "--file", "docker/app.Dockerfile"]
    assert spec["phases"]["pre_build"]["commands"][1:] == ["pytest -q"]
    post = spec["phases"]["post_build"]["commands"]
    assert [c for c in post if c.startswith("docker push")] == [
        f'docker push "111111111111.dkr.ecr.eu-west-1.amazonaws.com/abalone-mixed/app:{TAG}"']
    assert sum('{"app": $uri}' in c for c in post) == 1 and not any("sklearn\": $uri" in c for c in post)
    assert json.loads(mixed["pointers.json"])["images"] == {
        "app": {"repository": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/abalone-mixed/app", "uri": None}}


@pytest.mark.parametrize("config", ["prebuilt", "mixed"])
def test_the_definitions_are_proven_by_verify(config, request):
    files = request.getfixturevalue(config)
    assert verify_rendered({"model/default": files}) == []


def test_prebuilt_images_are_literal_and_only_built_ones_are_checked_pointers(mixed):
    retrain = json.loads(mixed["retrain.asl.json"])
    states = _states(retrain)
    requests = {name: state["Parameters"] for name, state in states.items() if "Parameters" in state}
    transform = next(p for p in requests.values() if p.get("AppSpecification", {}).get("ImageUri") == SKLEARN)
    assert transform["ProcessingInputs"][0]["S3Input"]["S3Uri.$"] == (
        "States.Format('s3://acme-ml-artifacts/abalone-mixed/code/{}/sklearn/', $.pointers.Item.commit.S)")
    assert transform["ProcessingInputs"][0]["S3Input"]["LocalPath"] == "/opt/ml/processing/input/code"
    assert any(p.get("AlgorithmSpecification", {}).get("TrainingImage") == XGBOOST for p in requests.values())
    evaluate = next(p for p in requests.values() if "ImageUri.$" in p.get("AppSpecification", {}))
    assert evaluate["AppSpecification"]["ImageUri.$"] == "$.pointers.Item.images.M['app'].S"
    assert "ProcessingInputs" not in evaluate
    checked = [c["Variable"] for state in states.values() if state.get("Type") == "Choice"
               for choice in state["Choices"] for c in choice.get("And", [])]
    assert "$.pointers.Item.images.M['app'].S" in checked
    assert not any("sklearn" in v or "xgboost" in v for v in checked)
    assert "$.pointers.Item.commit.S" in checked  # the code folder is the applied commit's
    register = next(p for p in requests.values() if "Item" in p and "images" in p["Item"])
    assert register["Item"]["images"] == {"M": {"app": {"S.$": "$.pointers.Item.images.M['app'].S"},
                                                "sklearn": {"S": SKLEARN}, "xgboost": {"S": XGBOOST}}}


def test_a_deploy_of_a_prebuilt_serving_image_checks_no_image_pointer(prebuilt):
    deploy = json.loads(prebuilt["deploy.asl.json"])
    checked = [c["Variable"] for state in _states(deploy).values() if state.get("Type") == "Choice"
               for choice in state["Choices"] for c in choice.get("And", [])]
    assert not any(".images." in v and "pointers" in v for v in checked)
    assert "$.model_version.Item.images.M['xgboost'].S" in json.dumps(deploy)  # the version's own image


def test_the_manifest_and_pointers_say_how_each_prebuilt_image_is_pinned(prebuilt):
    manifest = json.loads(prebuilt["manifest.json"])
    images = {"base": {"uri": DIGEST, "pinned": "digest"}, "sklearn": {"uri": SKLEARN, "pinned": "aws-tag"},
              "xgboost": {"uri": XGBOOST, "pinned": "aws-tag"}}
    assert manifest["prebuilt_images"] == images
    assert "sagemaker-python-sdk" in manifest["aws_images_source"]
    pointers = json.loads(prebuilt["pointers.json"])
    assert pointers["images"] == {} and pointers["settings"]["prebuilt_images"] == images
    assert pointers["task_definitions"]["retrain-validate"]["image"] == DIGEST


def _statement(iam: dict, sid: str) -> list:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("Sid") == sid:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(iam)
    return found


def test_the_task_role_pulls_prebuilt_images_only_where_ecs_pulls_them(prebuilt, mixed):
    """A digest image: its repository, wherever it runs. An AWS-provided image run by SageMaker: no
    grant ("SageMaker uses its own SageMaker account credentials to pull and access built-in
    algorithms", SageMaker API Reference, AlgorithmSpecification). Run on Fargate, ECS pulls it with
    the task's execution role: its repository in AWS's account."""
    (pull,) = _statement(json.loads(prebuilt["iam.json"]), "PullImages")
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:222222222222:repository/platform/base"]
    (pull,) = _statement(json.loads(mixed["iam.json"]), "PullImages")
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:111111111111:repository/abalone-mixed/app",
                                "arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-xgboost"]


def test_bootstrap_makes_repositories_only_for_built_runtimes_and_lets_the_build_upload_code(tmp_path):
    repo = make_repo(tmp_path, "abalone-mixed", MIXED)
    result = invoke("bootstrap", "model", str(repo))
    assert result.exit_code == 0, result.output
    template = yaml.safe_load(result.stdout) if not result.stdout.lstrip().startswith("{") else json.loads(result.stdout)
    repositories = [r["Properties"]["RepositoryName"] for r in template["Resources"].values()
                    if r["Type"] == "AWS::ECR::Repository"]
    assert repositories == ["abalone-mixed/app"]
    (upload,) = _statement(template, "UploadCode")
    assert upload["Action"] == ["s3:PutObject"] and upload["Resource"] == ["arn:aws:s3:::acme-ml-artifacts/abalone-mixed/code/*"]
