"""register.sagemaker's tests (tests/execute/test_execute_model_registry*.py): a sample with the
key set, moto's UpdateModelPackage mended where it differs from SageMaker, and SageMaker's model
package state change event built as SageMaker documents it."""

from __future__ import annotations

import json
import shutil
import uuid

import yaml

from compiler.registry import sagemaker_mirror
from paths import REPO_ROOT

MODEL, GROUP = "demand-forecast", "demand-forecast-versions"


def repository(tmp_path, sample: str = MODEL, group: str = GROUP):
    """The sample with `register.sagemaker` (approval manual), beside a copy of the samples' platform file."""
    root = tmp_path / "repos"
    shutil.copytree(REPO_ROOT / "samples" / sample, root / sample)
    shutil.copy(REPO_ROOT / "samples" / "mlops-platform.yaml", root / "mlops-platform.yaml")
    config_file = root / sample / "mlops.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["pipelines"]["retrain"]["register"] = {"approval": "manual", "sagemaker": {"model_package_group": group}}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return root / sample


def keep_metadata_on_update(monkeypatch) -> None:
    """moto 5.2.5's UpdateModelPackage sets CustomerMetadataProperties to the request's, None when
    the request has none; SageMaker changes them only when given (SageMaker API reference,
    UpdateModelPackage: CustomerMetadataProperties, "The metadata properties associated with the
    model package versions", and CustomerMetadataPropertiesToRemove to remove some). As SageMaker
    does, the properties stay when the request names none."""
    from moto.sagemaker.models import SageMakerModelBackend

    original = SageMakerModelBackend.update_model_package

    def update_model_package(self, model_package_arn, **request):
        if request.get("customer_metadata_properties") is None:
            name = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
            kept = getattr(self.model_packages.get(name), "customer_metadata_properties", None)
            request["customer_metadata_properties"] = dict(kept) if kept else None
        return original(self, model_package_arn, **request)
    monkeypatch.setattr(SageMakerModelBackend, "update_model_package", update_model_package)


def state_change(account, arn: str, event_id: str = None) -> dict:
    """The EventBridge event of the package's current state: moto's SageMaker sends none. Its
    envelope as EventBridge's, its detail moto's DescribeModelPackage answer ("Events that Amazon
    SageMaker AI sends to Amazon EventBridge", SageMaker Developer Guide: SageMaker model package
    state change: the detail describes the package)."""
    described = account.session.client("sagemaker").describe_model_package(ModelPackageName=arn)
    described.pop("ResponseMetadata", None)
    detail = json.loads(json.dumps(described, default=str))
    return {"version": "0", "id": event_id or str(uuid.uuid4()), "detail-type": sagemaker_mirror.DETAIL_TYPE,
            "source": "aws.sagemaker", "account": arn.split(":")[4], "time": "2026-12-06T12:00:00Z",
            "region": arn.split(":")[3], "resources": [arn], "detail": detail}
