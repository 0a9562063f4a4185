"""`mlopsc diff` flags the risky changes of register.sagemaker (risks.py, model registry moved):
the model package group renamed, or the state that registers versions there removed."""

from __future__ import annotations

import pytest

from compiler.diff import risks
from compiler.diff.change import ABSENT, Change

STATE = "Register model package"
PACKAGE = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
           "Parameters": {"ModelPackageGroupName": "churn-staging"}}


@pytest.mark.parametrize("change, flagged", [
    (Change.of("field", "churn-staging", "churn", path=("Parameters", "ModelPackageGroupName"), state=STATE),
     "model package group churn-staging -> churn: new versions register in churn, the earlier ones stay"),
    (Change.of("state", PACKAGE, ABSENT, state=STATE),
     "versions no longer registered in SageMaker's model package group churn-staging"),
    (Change.of("state", ABSENT, PACKAGE, state=STATE), ""),  # registering from now on: nothing lost
    (Change.of("field", "PendingManualApproval", "Approved", path=("Parameters", "ModelApprovalStatus"),
               state=STATE), ""),
    (Change.of("field", "a", "b", path=("Parameters", "ModelPackageGroupName"), state="Other"), ""),
])
def test_model_registry_risks(change, flagged):
    (found,) = risks.flag([change])
    assert found.risk.startswith(flagged) and bool(found.risk) is bool(flagged), found.risk
