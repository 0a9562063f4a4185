"""An endpoint on instances with local NVMe storage cannot have the platform's KMS key on its
storage volume: SageMaker refuses CreateEndpointConfig (compiler/aws_data/local_storage.py)."""

from compiler.aws_data.local_storage import has_local_storage
from compiler.checks.finding import Finding

RULE = "kms-local-storage"
DESCRIPTION = "An endpoint with the platform's kms_key does not run on an instance type with local NVMe storage"


def check(context):
    deploy = context.pipelines.get("deploy") or {}
    endpoint = deploy.get("endpoint") or {}
    if deploy.get("target") != "sagemaker-endpoint" or endpoint.get("serverless"):
        return
    if not context.platform.get("kms_key"):
        return
    instance_type = endpoint.get("instance_type")
    if instance_type and has_local_storage(instance_type):
        yield Finding(("pipelines", "deploy", "endpoint", "instance_type"),
                      f"{instance_type} has local NVMe storage, on which SageMaker refuses the platform's kms_key",
                      "\"You can't request a KmsKeyId when using an instance type with local storage\" (SageMaker API "
                      "reference, CreateEndpointConfig: KmsKeyId; the instance's hardware encrypts it): "
                      "choose an instance type without instance store, or a platform without kms_key", RULE)
