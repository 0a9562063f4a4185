"""`register.sagemaker`: the registry's versions mirrored in SageMaker's Model Registry, their
approval kept in sync both ways (docs/registry.md, SageMaker Model Registry). Standard library
only: the Lambda handler imports it.

- The retrain pipeline creates a model package version per registered version
  (compiler/render/asl/retrain_pipeline.py, `model_package`), whose CustomerMetadataProperties name
  the model, environment and version (`mlops:model`, ...), and records its ARN in the version item
  (`model_package_arn`).
- mlopsc -> SageMaker: `mlopsc registry approve/reject` decide in the registry first, then
  UpdateModelPackage(ModelApprovalStatus) (compiler.registry.store).
- SageMaker -> mlopsc: a change made in SageMaker (Studio, the API) is a "SageMaker Model Package
  State Change" event on the default bus ("Events that Amazon SageMaker AI sends to Amazon
  EventBridge", SageMaker Developer Guide: SageMaker model package state change; its detail holds
  the package as DescribeModelPackage describes it). The platform's rule sends it to the registry
  handler, which records the decision with `decision_write`.

No loop: the handler only writes the registry table, never SageMaker; a decision it reads back
(the event of mlopsc's own UpdateModelPackage, or a redelivery) finds the version already decided
and its conditional write is skipped. Writes are conditional on the approval they expect and on
the version naming this package (`model_package_arn`), so an event of an older package (a
version registered again) or of a decision overtaken by a later one changes nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

from compiler.registry import items

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
#: CustomerMetadataProperties keys the pipeline writes on each package version.
MODEL, ENVIRONMENT, VERSION = "mlops:model", "mlops:environment", "mlops:version"
#: SageMaker's ModelApprovalStatus -> the registry's approval (PendingManualApproval: no decision).
DECISIONS = {"Approved": items.APPROVED, "Rejected": items.REJECTED}
#: Who decided, when the event names nobody (LastModifiedBy absent or empty).
NOBODY = "sagemaker"
#: From which approvals each decision may be recorded (as `mlopsc registry approve/reject`).
EXPECTED = {items.APPROVED: (items.PENDING,), items.REJECTED: (items.PENDING, items.APPROVED)}


def is_package_event(raw) -> bool:
    return isinstance(raw, Mapping) and raw.get("source") == SOURCE and raw.get("detail-type") == DETAIL_TYPE


@dataclasses.dataclass(frozen=True)
class Decision:
    """An approval change made in SageMaker, of a version mlopsc registered."""

    event_id: str
    time: str
    model: str
    environment: str
    version: str
    package_arn: str
    approval: str  # items.APPROVED or items.REJECTED
    who: str
    reason: str

    def order(self) -> str:
        return items.order_key(self.time, 1, self.event_id)


def decision(raw: Mapping) -> Optional[Decision]:
    """The decision an event carries; None for a status that decides nothing (pending, or a
    package's other changes). Raises items.BadEvent for an event it cannot read."""
    detail = raw.get("detail")
    if not isinstance(detail, Mapping):
        raise items.BadEvent("the event has no detail object")
    approval = DECISIONS.get(detail.get("ModelApprovalStatus"))
    if approval is None:
        return None
    metadata = detail.get("CustomerMetadataProperties")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    names = {key: metadata.get(key) for key in (MODEL, ENVIRONMENT, VERSION)}
    for key, value in names.items():
        if not isinstance(value, str) or not items.NAME.match(value) or "#" in value:
            raise items.BadEvent(f"the model package's {key} {value!r} is not a name")
    arn, time, event_id = detail.get("ModelPackageArn"), raw.get("time"), raw.get("id")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise items.BadEvent("the event names no ModelPackageArn")
    if not isinstance(time, str) or not items.TIME.match(time) or not isinstance(event_id, str) or not event_id:
        raise items.BadEvent("the event has no id or ISO 8601 UTC time")
    description = detail.get("ApprovalDescription")
    reason = f"in SageMaker: {description}" if isinstance(description, str) and description else "in SageMaker"
    return Decision(event_id, time, names[MODEL], names[ENVIRONMENT], names[VERSION], arn, approval,
                    who(detail.get("LastModifiedBy")), reason)


def who(user) -> str:
    """Who changed the package (DescribeModelPackage's LastModifiedBy, a UserContext): the IAM
    identity's ARN, else the Studio user profile's, else "sagemaker"."""
    if not isinstance(user, Mapping):
        return NOBODY
    identity = user.get("IamIdentity")
    for found in ((identity or {}).get("Arn") if isinstance(identity, Mapping) else None,
                  user.get("UserProfileArn"), user.get("UserProfileName")):
        if isinstance(found, str) and found:
            return found
    return NOBODY


def decision_write(found: Decision) -> items.Write:
    """The version's approval, as `mlopsc registry approve/reject` write it, only from the approvals
    they accept and only while the version names this package."""
    expected = EXPECTED[found.approval]
    placeholders = {f":e{index}": value for index, value in enumerate(expected)}
    condition = ("attribute_exists(pk) AND #package = :package AND #approval IN (" + ", ".join(placeholders) + ")")
    prefix = "approved" if found.approval == items.APPROVED else "rejected"
    values = {"approval": found.approval, f"{prefix}_by": found.who, f"{prefix}_at": found.time,
              "reason": found.reason}
    return items.update(f"{found.approval} {found.version} in SageMaker",
                        items.key(found.model, items.version_sk(found.environment, found.version)), values,
                        condition=condition, names={"#approval": "approval", "#package": "model_package_arn"},
                        values={**placeholders, ":package": found.package_arn})


#: UpdateModelPackage's ModelApprovalStatus for a registry decision (compiler.registry.store).
PACKAGE_STATUS = {items.APPROVED: "Approved", items.REJECTED: "Rejected"}
#: UpdateModelPackage's ApprovalDescription: at most 1024 characters (SageMaker API reference).
DESCRIPTION_LIMIT = 1024


def approval_update(package_arn: str, approval: str, who_decided: str, reason: Optional[str]) -> dict:
    """UpdateModelPackage's request for a decision made with `mlopsc registry`."""
    description = f"{approval} by {who_decided} with mlopsc" + (f": {reason}" if reason else "")
    return {"ModelPackageArn": package_arn, "ModelApprovalStatus": PACKAGE_STATUS[approval],
            "ApprovalDescription": description[:DESCRIPTION_LIMIT]}
