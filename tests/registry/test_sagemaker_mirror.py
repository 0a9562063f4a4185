"""compiler/registry/sagemaker_mirror.py without AWS: reading SageMaker's model package events
(the SageMaker Developer Guide's "SageMaker model package state change": the package as
DescribeModelPackage describes it) and the requests and writes made from them. The routes through
moto are tests/execute/test_execute_model_registry.py."""

from __future__ import annotations

import pytest

from compiler.registry import items, sagemaker_mirror as mirror

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-staging/3"


def event(status="Approved", **detail):
    base = {"ModelPackageArn": ARN, "ModelPackageGroupName": "churn-staging", "ModelApprovalStatus": status,
            "CustomerMetadataProperties": {"mlops:model": "churn", "mlops:environment": "staging",
                                           "mlops:version": "run-7"}}
    return {"id": "e-1", "time": "2026-12-06T12:00:00Z", "source": "aws.sagemaker",
            "detail-type": mirror.DETAIL_TYPE, "detail": {**base, **detail}}


@pytest.mark.parametrize("user, expected", [
    ({"IamIdentity": {"Arn": "arn:aws:sts::111111111111:assumed-role/r/ana"}, "UserProfileName": "ana"},
     "arn:aws:sts::111111111111:assumed-role/r/ana"),
    ({"UserProfileArn": "arn:aws:sagemaker:eu-west-1:111111111111:user-profile/d/ana", "UserProfileName": "ana"},
     "arn:aws:sagemaker:eu-west-1:111111111111:user-profile/d/ana"),
    ({"UserProfileName": "ana"}, "ana"),
    ({}, "sagemaker"), (None, "sagemaker"), ({"IamIdentity": "?"}, "sagemaker"),
])
def test_who_decided_is_the_events_identity_else_sagemaker(user, expected):
    assert mirror.who(user) == expected


def test_a_pending_status_decides_nothing_and_other_events_are_not_the_mirrors():
    assert mirror.decision(event("PendingManualApproval")) is None
    assert mirror.is_package_event(event()) and not mirror.is_package_event({**event(), "source": "mlops.churn"})


@pytest.mark.parametrize("change, why", [
    ({"CustomerMetadataProperties": {}}, "mlops:model None is not a name"),
    ({"CustomerMetadataProperties": {"mlops:model": "churn", "mlops:environment": "a#b", "mlops:version": "v"}},
     "mlops:environment"),
    ({"ModelPackageArn": None}, "no ModelPackageArn"),
])
def test_an_event_it_cannot_read_is_refused(change, why):
    with pytest.raises(items.BadEvent, match=why):
        mirror.decision(event(**change))


def test_the_write_needs_the_package_and_an_approval_the_commands_accept():
    found = mirror.decision(event("Rejected", ApprovalDescription="drifts"))
    request = mirror.decision_write(found).request("mlops-registry")
    assert request["Key"] == {"pk": {"S": "MODEL#churn"}, "sk": {"S": "VERSION#staging#run-7"}}
    assert request["ConditionExpression"] == "attribute_exists(pk) AND #package = :package AND #approval IN (:e0, :e1)"
    values = request["ExpressionAttributeValues"]
    assert (values[":package"], values[":e0"], values[":e1"]) == ({"S": ARN}, {"S": "pending"}, {"S": "approved"})
    assert {"S": "in SageMaker: drifts"} in values.values() and {"S": "sagemaker"} in values.values()


def test_the_update_says_who_and_why_within_sagemakers_limit():
    request = mirror.approval_update(ARN, items.APPROVED, "arn:aws:sts::1:assumed-role/r/bo", "x" * 2000)
    assert request["ModelApprovalStatus"] == "Approved"
    assert request["ApprovalDescription"].startswith("approved by arn:aws:sts::1:assumed-role/r/bo with mlopsc: x")
    assert len(request["ApprovalDescription"]) == mirror.DESCRIPTION_LIMIT


def test_a_promoted_copy_names_no_package_of_the_source_environments_group():
    """promote copies the version's facts; its package is the source environment's (approving the
    copy must not decide on it)."""
    source = {"pk": "MODEL#churn", "sk": "VERSION#staging#run-7", "version": "run-7", "environment": "staging",
              "approval": "approved", "model_data": "s3://b/k/model.tar.gz", "model_package_arn": ARN}
    copied = items.promoted_item(source, "prod", "arn:aws:sts::1:assumed-role/r/bo", "2026-12-06T12:00:00Z")
    assert "model_package_arn" not in copied and copied["model_data"] == source["model_data"]
