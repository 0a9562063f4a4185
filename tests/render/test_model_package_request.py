"""register.sagemaker's CreateModelPackage request, as compiled, against botocore's SageMaker model
(the truth about the API): every member exists and nests as the API takes it, for a SageMaker
training job's model.tar.gz (ModelDataUrl) and a Fargate stage's output folder (ModelDataSource,
uncompressed S3Prefix). The values read at run time (`.$`) are given plausible ones here; moto runs
the SageMaker case (tests/execute/test_execute_model_registry.py)."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from compiler import api
from paths import REPO_ROOT

RUN_TIME_VALUES = {
    "Image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/m/serve@sha256:" + "1" * 64,
    "ModelDataUrl": "s3://acme-ml-artifacts/m/default/retrain/run-1/train/out/model.tar.gz",
    "S3Uri": "s3://acme-ml-artifacts/m/default/retrain/run-1/train/",
    "ModelPackageDescription": "m default version run-1",
    "mlops:version": "run-1",
    "ClientToken": "0123456789abcdef0123456789abcdef",
}


def _request(tmp_path, sample: str, environment: str) -> dict:
    shutil.copytree(REPO_ROOT / "samples" / sample, tmp_path / sample)
    shutil.copy(REPO_ROOT / "samples" / "mlops-platform.yaml", tmp_path / "mlops-platform.yaml")
    config_file = tmp_path / sample / "mlops.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["pipelines"]["retrain"].setdefault("register", {})["sagemaker"] = {"model_package_group": "m-versions"}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    result = api.compile_outputs([str(tmp_path / sample)], None, environment)
    assert result.validation.ok, result.validation.problems
    (files,) = result.outputs.values()
    definition = json.loads(files["retrain.asl.json"])
    return definition["States"]["Register model package"]["Parameters"]


def _concrete(node):
    if isinstance(node, dict):
        return {key.removesuffix(".$"): (RUN_TIME_VALUES[key[:-2]] if key.endswith(".$") else _concrete(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_concrete(value) for value in node]
    return node


@pytest.mark.parametrize("sample, environment, data_member", [
    ("demand-forecast", "default", "ModelDataUrl"),   # a SageMaker training job: its model.tar.gz
    ("churn-fargate", "default", "ModelDataSource"),  # a Fargate stage: its output folder
])
def test_the_request_is_what_botocore_takes(tmp_path, sample, environment, data_member):
    import botocore.session
    from botocore.validate import ParamValidator

    request = _concrete(_request(tmp_path, sample, environment))
    (container,) = request["InferenceSpecification"]["Containers"]
    assert data_member in container
    model = botocore.session.get_session().get_service_model("sagemaker")
    report = ParamValidator().validate(request, model.operation_model("CreateModelPackage").input_shape)
    assert not report.has_errors(), report.generate_report()
