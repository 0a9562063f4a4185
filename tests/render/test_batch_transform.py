"""batch mode `transform` rendered (compiler/render/asl/batch_transform.py): what CreateModel and
CreateTransformJob get from the config, and what they get where the config says nothing.
(Execution of every route: tests/execute/test_execute_batch_transform.py.)"""

from __future__ import annotations

import pytest

from compile_helpers import SAMPLES_PLATFORM, make_repo
from compiler import api
from compiler.render import asl
from compiler.render.naming import Naming

KMS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/0b6f5c1e-2a3d-4e5f-9a8b-7c6d5e4f3a2b"


def _config(name: str, batch: dict, retrain: bool = True) -> dict:
    pipelines = {"batch": {"mode": "transform", "compute": "sagemaker", "input": f"s3://score-data/{name}/in/",
                           "output": f"s3://score-data/{name}/out/", **batch}}
    if retrain:
        pipelines["retrain"] = {"data": {"source": f"s3://raw-data/{name}/"},
                                "stages": {"train": {"command": ["python", "train.py"]}}}
    return {"version": 1, "model": {"name": name}, "runtimes": {"app": {"dockerfile": "Dockerfile"}},
            "stage_defaults": {"runtime": "app"}, "pipelines": pipelines}


def _batch(tmp_path, name: str, batch: dict, retrain: bool = True) -> dict:
    """The batch definition of `name` compiled with the samples' platform and a KMS key."""
    platform = tmp_path / "mlops-platform.yaml"
    platform.write_text(SAMPLES_PLATFORM.read_text() + f"kms_key: {KMS_KEY}\n")
    make_repo(tmp_path, name, _config(name, batch, retrain))
    validation = api.validate([str(tmp_path / name)], str(platform))
    assert validation.ok, [(p.path, p.message) for p in validation.problems]
    [model] = validation.models
    return asl.definitions(Naming(model))["batch"]


@pytest.mark.parametrize("instance_type, volume_key", [("ml.m5.xlarge", True), ("ml.g4dn.xlarge", False),
                                                       ("ml.g5.2xlarge", False), ("ml.c5.2xlarge", True)])
def test_the_volume_key_is_left_out_on_instances_with_local_storage(tmp_path, instance_type, volume_key):
    """"You can't request a VolumeKmsKeyId when using an instance type with local storage"
    (SageMaker API reference, TransformResources): the instance store is encrypted by the
    instance's hardware. The output is encrypted with the platform's key on every type."""
    score = _batch(tmp_path, "kms-transform", {"instance_type": instance_type})["States"]["Score"]["Parameters"]
    assert ("VolumeKmsKeyId" in score["TransformResources"]) is volume_key
    assert score["TransformOutput"]["KmsKeyId"] == KMS_KEY


def test_unset_transform_settings_are_sagemakers_defaults_or_left_out(tmp_path):
    score = _batch(tmp_path, "plain-transform", {})["States"]["Score"]["Parameters"]
    assert score["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://score-data/plain-transform/in/"}},
        "SplitType": "None", "CompressionType": "None"}
    assert set(score["TransformOutput"]) == {"S3OutputPath.$", "AssembleWith", "KmsKeyId"}
    assert score["TransformOutput"]["S3OutputPath.$"] == \
        "States.Format('s3://score-data/plain-transform/out/{}/', $$.Execution.Name)"
    assert score["DataProcessing"] == {"JoinSource": "None"}
    assert not {"BatchStrategy", "MaxPayloadInMB", "MaxConcurrentTransforms", "Environment"} & set(score)
    assert score["TransformResources"]["InstanceType"] == "ml.m5.large"  # the stage's default


def test_a_model_without_retrain_is_its_image_alone(tmp_path):
    """No model versions: nothing to check, and the model has no ModelDataUrl (CreateModel:
    ContainerDefinition.ModelDataUrl is optional; the image holds the model)."""
    definition = _batch(tmp_path, "image-transform", {}, retrain=False)
    assert "Check approved model" not in definition["States"]
    container = definition["States"]["Create model"]["Parameters"]["PrimaryContainer"]
    assert "ModelDataUrl.$" not in container and container["Image.$"] == "$.pointers.Item.images.M['app'].S"
    assert definition["States"]["Publish run started"]["Next"] == "Name model"
