"""register.sagemaker in a batch-only model (issue 20, SageMaker Model Registry), executed:
samples/churn-fargate (Fargate stages, batch, no deploy pipeline) with the key added here, applied
and retrained in moto (sfn_harness.py). A module of its own: its account is another moto account
than test_execute_model_registry.py's, which is kept for that whole module. What moto cannot check:
see test_execute_model_registry.py."""

from __future__ import annotations

import pytest

from compiler.registry import handler
from model_registry_events import keep_metadata_on_update, repository, state_change
from sfn_harness import applied, execute, item

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

TABLE = "mlops-registry"


def test_a_batch_only_model_fargate_trained_is_released_by_an_approval_in_sagemaker(tmp_path, monkeypatch):
    """samples/churn-fargate (Fargate stages, batch, no deploy pipeline): the package names train's
    output folder as uncompressed model data, and an approval in SageMaker releases the version to
    batch, as `mlopsc registry approve` does there (the approved pointer moves)."""
    with applied(monkeypatch, tmp_path, [repository(tmp_path, "churn-fargate", "churn-versions")]) as churn:
        monkeypatch.setenv(handler.TABLE_VARIABLE, TABLE)
        monkeypatch.setattr(handler, "_CLIENT", None)
        keep_metadata_on_update(monkeypatch)
        churn.harness.stages.metrics = {"auc": 0.91, "logloss": 0.31}
        run = execute(churn.sfn, "churn-fargate-default-retrain", "run-f")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        version = item(churn.session, ("MODEL#churn-fargate", "VERSION#default#run-f"))
        sagemaker = churn.session.client("sagemaker")
        package = sagemaker.describe_model_package(ModelPackageName=version["model_package_arn"])
        (container,) = package["InferenceSpecification"]["Containers"]
        assert container["ModelDataSource"] == {"S3DataSource": {
            "S3Uri": version["model_data"], "S3DataType": "S3Prefix", "CompressionType": "None"}}
        assert container["Image"] == version["images"]["trainer"]  # batch's runtime, by digest

        sagemaker.update_model_package(ModelPackageArn=version["model_package_arn"], ModelApprovalStatus="Approved")
        done = handler.handler(state_change(churn, version["model_package_arn"]), None)
        assert done["applied"] == ["approved run-f in SageMaker", "approved pointer -> run-f"], done
        pointers = item(churn.session, ("MODEL#churn-fargate", "POINTERS#default"))
        assert (pointers["approved_version"], pointers["approved_model_data"]) == ("run-f", version["model_data"])
