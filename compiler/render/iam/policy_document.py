"""IAM policy documents as mlopsc writes them: statements by stable Sid, actions and resources
sorted and unique, `"Resource": "*"` only in the statements UNSCOPABLE lists (with why)."""

from __future__ import annotations

import re
from typing import Optional


VERSION = "2012-10-17"

#: The only statements with `"Resource": "*"`: Sid -> (actions, why no resource can be named).
#: Everything else is scoped to the model's own resources. Tests hold the policies to this list.
UNSCOPABLE = {
    # Step Functions' CloudWatch Logs logging: the vended-log delivery APIs take no resource.
    "StateMachineLogDelivery": (
        ("logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
         "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
         "logs:PutResourcePolicy", "logs:UpdateLogDelivery"),
        "CloudWatch Logs log-delivery APIs (Step Functions logging) take no resource ARN"),
    # X-Ray tracing of the state machines.
    "XRayTracing": (
        ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"),
        "X-Ray trace and sampling APIs take no resource ARN"),
    # SageMaker endpoint autoscaling (deploy): a scalable target's ARN ends with an id that
    # Application Auto Scaling assigns when it is registered, so it cannot be named beforehand.
    "EndpointAutoscaling": (
        ("application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy",
         "application-autoscaling:RegisterScalableTarget"),
        "scalable-target ARNs carry an id assigned at registration"),
    # Pulling images: the login token is for the registry, not a repository.
    "EcrLogin": (("ecr:GetAuthorizationToken",), "an ECR login token is for the whole registry"),
    # SageMaker jobs and endpoints in the platform's VPC: EC2 Describe calls take no resource.
    "DescribeNetwork": (
        ("ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
         "ec2:DescribeSubnets", "ec2:DescribeVpcs"),
        "EC2 Describe calls take no resource ARN"),
    # SageMaker containers' metrics: metric data has no ARN; a condition keeps SageMaker's namespaces.
    "SageMakerMetrics": (("cloudwatch:PutMetricData",), "metric data has no ARN (limited by namespace)"),
    # The model's own metrics (its drift job, an ecs-service's requests): only its namespace.
    "ModelMetrics": (("cloudwatch:PutMetricData",), "metric data has no ARN (limited to the model's namespace)"),
}

UNSCOPABLE_CONDITIONS = {
    "SageMakerMetrics": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}},
}


class Policy:
    """Statements by Sid. Adding to an existing Sid unions actions, resources and condition values
    (the condition's operators and keys must be the same: that is a bug otherwise)."""

    def __init__(self):
        self._statements: dict[str, dict] = {}

    def allow(self, sid: str, actions, resources, condition: Optional[dict] = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9]+", sid):
            raise RuntimeError(f"IAM statement ids are alphanumeric: {sid!r}")
        condition = {op: {key: set(values) for key, values in keys.items()} for op, keys in (condition or {}).items()}
        entry = self._statements.setdefault(sid, {"actions": set(), "resources": set(), "condition": None})
        if entry["condition"] is None:
            entry["condition"] = condition
        elif _shape(entry["condition"]) != _shape(condition):
            raise RuntimeError(f"IAM statement {sid}: conditions of different shapes cannot share a statement")
        else:
            for op, keys in condition.items():
                for key, values in keys.items():
                    entry["condition"][op][key] |= values
        entry["actions"].update(actions)
        entry["resources"].update(resources)
        if "*" in entry["resources"] and (len(entry["resources"]) > 1 or sid not in UNSCOPABLE):
            raise RuntimeError(f"IAM statement {sid}: '*' only in the statements listed in UNSCOPABLE")

    def allow_unscopable(self, sid: str, condition: Optional[dict] = None) -> None:
        """An UNSCOPABLE statement, with its fixed condition or the one given."""
        actions, _why = UNSCOPABLE[sid]
        self.allow(sid, actions, ["*"], condition or UNSCOPABLE_CONDITIONS.get(sid))

    def document(self) -> dict:
        statements = []
        for sid in sorted(self._statements):
            entry = self._statements[sid]
            resources = sorted(entry["resources"])
            statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(entry["actions"]),
                         "Resource": "*" if resources == ["*"] else resources}
            if entry["condition"]:
                statement["Condition"] = {op: {key: sorted(values) for key, values in sorted(keys.items())}
                                          for op, keys in sorted(entry["condition"].items())}
            statements.append(statement)
        return {"Version": VERSION, "Statement": statements}


def _shape(condition: dict) -> set:
    return {(op, key) for op, keys in condition.items() for key in keys}


def iam_literal(text: str) -> str:
    """Text as IAM matches it literally: `*`, `?` and `$` would be wildcards or variables."""
    return re.sub(r"[*?$]", lambda m: "${" + m.group(0) + "}", text)


def list_bucket(policy: Policy, sid: str, bucket_arn: str, prefix: str) -> None:
    """ListBucket on a bucket, only for keys under `prefix` (all of them for an empty prefix)."""
    condition = {"StringLike": {"s3:prefix": [iam_literal(prefix) + "*"]}} if prefix else None
    policy.allow(sid, ["s3:ListBucket"], [bucket_arn], condition)
