"""`register.sagemaker`: the SageMaker model package group the retrain pipeline registers each
version in (docs/registry.md, SageMaker Model Registry). apply creates it, tagged as the model
environment's, before the state machines that write to it; a group that exists already (made by
someone else, e.g. a SageMaker project) is used as it is. apply never deletes one: its package
versions are the audit trail of what was registered and decided, and outlive the config key.
"""

from __future__ import annotations

from typing import Optional

from compiler.apply.changes import Change, or_none, owner_tags

#: What SageMaker answers DescribeModelPackageGroup for a group that does not exist
#: (ValidationException "... does not exist"; moto answers the same).
MISSING = ("ValidationException", "ResourceNotFound")


def group_name(pointers: dict) -> Optional[str]:
    """The group OUT names (pointers.json `settings.retrain.model_package_group`), if any."""
    return ((pointers.get("settings") or {}).get("retrain") or {}).get("model_package_group")


def group_change(sagemaker, target, pointers: dict) -> Optional[Change]:
    """Create the group when it is missing; None when the environment names none."""
    name = group_name(pointers)
    if name is None:
        return None
    if or_none(lambda: sagemaker.describe_model_package_group(ModelPackageGroupName=name), *MISSING) is not None:
        return Change("model package group", name, "unchanged")
    tags = dict(target.tags, **owner_tags(target.model, target.environment))

    def create():
        sagemaker.create_model_package_group(
            ModelPackageGroupName=name,
            ModelPackageGroupDescription=f"mlops: the versions of {target.model} in {target.environment}",
            Tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())])
    return Change("model package group", name, "create", (), create)
