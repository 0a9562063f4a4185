"""One service call of one state (Call) in the model environment's scope (Scope): what every
integration's handler uses to name and scope its statements."""

from __future__ import annotations

from compiler.render.iam.parameter_values import ParameterValues
from compiler.render.iam.policy_document import Policy, iam_literal
from compiler.render.naming import Naming


class UnknownIntegration(RuntimeError):
    """A state calls something this module has no IAM mapping for, or names its resource in a way
    that cannot be scoped to the model (a bug in mlopsc: the templates and this module disagree)."""


#: The EventBridge rules Step Functions creates in the account to learn that a `.sync` job ended.
MANAGED_RULES = {
    "ecs:runTask.sync": "StepFunctionsGetEventsForECSTaskRule",
    "sagemaker:createProcessingJob.sync": "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
    "sagemaker:createTrainingJob.sync": "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "sagemaker:createHyperParameterTuningJob.sync": "StepFunctionsGetEventsForSageMakerTuningJobsRule",
    "sagemaker:createTransformJob.sync": "StepFunctionsGetEventsForSageMakerTransformJobsRule",
}


class Call:
    """One service call of one state, with what the handlers need to scope it."""

    def __init__(self, scope: "Scope", pipeline: str, state: str, integration: str, parameters: dict,
                 values: ParameterValues):
        self.scope, self.pipeline, self.state, self.integration = scope, pipeline, state, integration
        self.parameters, self.values = parameters, values

    @property
    def policy(self) -> Policy:
        return self.scope.policy

    def fail(self, why: str) -> UnknownIntegration:
        return UnknownIntegration(f"{self.pipeline}.asl.json, state '{self.state}' ({self.integration}): {why}; "
                                  "mlopsc cannot derive its IAM permissions (compiler/render/iam/)")

    def literal(self, key: str) -> str:
        value = self.parameters.get(key)
        if not isinstance(value, str):
            raise self.fail(f"parameter {key} is not a literal string")
        return value

    def pattern(self, key: str) -> str:
        """A name parameter as an IAM pattern; names must be known up to their run token."""
        pattern = self.values.parameter(self.parameters, key)
        if pattern is None or pattern.startswith("*"):
            raise self.fail(f"parameter {key} names no resource known at compile time")
        return pattern

    def pass_role(self, *keys: str, service: str) -> None:
        for key in keys:
            role = self.literal(key)
            if role != self.scope.config.platform.task_role:
                raise self.fail(f"{key} passes {role}, not the task role")
            self.policy.allow("PassTaskRole", ["iam:PassRole"], [role],
                              {"StringEquals": {"iam:PassedToService": [service]}})

    def managed_rule(self) -> None:
        rule = MANAGED_RULES[self.integration]
        self.policy.allow("SyncIntegrationRules", ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
                          [self.scope.arn("events", f"rule/{rule}")])


class Scope:
    """The model environment's names and ARNs, and the policy being built."""

    def __init__(self, naming: Naming):
        self.config = naming.config
        self.naming = naming
        self.platform = naming.platform
        self.policy = Policy()

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        return self.naming.arn(service, resource, regional)

    def s3(self, bucket: str, key: str = "") -> str:
        """An S3 bucket ARN, or of the objects matching `key` (an IAM pattern) in it."""
        return f"arn:{self.platform.partition}:s3:::{bucket}" + (f"/{key}" if key else "")

    def model_objects(self, call: Call, bucket: str, key: str) -> str:
        """Objects the pipeline reads or writes: only under `<model>/` in the artifact bucket."""
        if bucket != self.platform.artifact_bucket or not key.startswith(iam_literal(self.config.name) + "/"):
            raise call.fail(f"s3://{bucket}/{key} is outside the model's prefix of the artifact bucket")
        return self.s3(bucket, key)


def allow_kms_key(scope: Scope, policy: Policy, key: str, role: str) -> None:
    """Use of the platform's KMS key. An alias ARN cannot be a key policy resource: then any key
    of the account, only through that alias (kms:ResourceAliases)."""
    if ":alias/" in key:
        resources = [scope.arn("kms", "key/*")]
        alias = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [key.split(":", 5)[5]]}}
    else:
        resources, alias = [key], {}
    use = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
    if role == "task":
        use += ["kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    policy.allow("UseKmsKey", use, resources, alias or None)
    # SageMaker (volumes, outputs) and S3 take grants on the key on the caller's behalf.
    policy.allow("GrantKmsKeyToServices", ["kms:CreateGrant"], resources,
                 {"Bool": {"kms:GrantIsForAWSResource": ["true"]}, **alias})
