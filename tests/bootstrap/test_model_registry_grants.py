"""`register.sagemaker`: the model stack grants `mlopsc apply` what it calls to make the model
package group (compiler/apply/model_registry.py), on that group only, and nothing for a model that
names none (tests/bootstrap/test_bootstrap.py checks every other call against the samples)."""

from __future__ import annotations

import shutil

import yaml

from compiler import api
from compiler.bootstrap import model_stack
from compiler.render import pointers, triggers
from compiler.render.naming import Naming
from paths import REPO_ROOT

MODEL = "churn-fargate"


def _statements(tmp_path, group):
    shutil.copytree(REPO_ROOT / "samples" / MODEL, tmp_path / MODEL)
    shutil.copy(REPO_ROOT / "samples" / "mlops-platform.yaml", tmp_path / "mlops-platform.yaml")
    config_file = tmp_path / MODEL / "mlops.yaml"
    config = yaml.safe_load(config_file.read_text())
    if group:
        config["pipelines"]["retrain"]["register"]["sagemaker"] = {"model_package_group": group}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    validation = api.validate([str(tmp_path / MODEL)])
    assert validation.ok, validation.problems
    (model,) = validation.models
    naming = Naming(model)
    return {s["Sid"]: s for s in model_stack.apply_statements(model, pointers.pointers(naming),
                                                               triggers.triggers(naming))}


def test_apply_may_create_and_tag_the_group_it_names_and_no_other(tmp_path):
    statement = _statements(tmp_path, "Churn-Versions")["ModelPackageGroup"]
    assert sorted(statement["Action"]) == ["sagemaker:AddTags", "sagemaker:CreateModelPackageGroup",
                                           "sagemaker:DescribeModelPackageGroup"]
    assert statement["Resource"] == [  # SageMaker may write the name of an ARN in lowercase
        "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/Churn-Versions",
        "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-versions"]


def test_no_grant_without_a_group(tmp_path):
    assert "ModelPackageGroup" not in _statements(tmp_path, None)
