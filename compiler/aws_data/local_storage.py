"""Instance families with local NVMe instance storage, on which SageMaker refuses a KMS key for
the storage volume: "Certain Nitro-based instances include local storage ... Local storage volumes
are encrypted using a hardware module on the instance. You can't request a KmsKeyId when using an
instance type with local storage ... the call to CreateEndpointConfig fails" (SageMaker API
reference, CreateEndpointConfig: KmsKeyId; the same note on ResourceConfig, ProcessingClusterConfig
and TransformResources: VolumeKmsKeyId). botocore's models do not say which types have it; the
list is the SageMaker families the Amazon EC2 User Guide's "Instance store volumes" table
(instance types with instance store) names, checked against compiler/aws_data's instance types."""

from __future__ import annotations

LOCAL_STORAGE_FAMILIES = frozenset({
    "c5d", "c6gd", "m5d", "m6gd", "r5d", "r6gd",  # general purpose, compute, memory with `d`
    "g4dn", "g5", "g6", "g6e",  # GPU
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en",  # GPU training
    "dl1", "trn1", "trn1n", "trn2",  # Gaudi, Trainium
})


def has_local_storage(instance_type: str) -> bool:
    """ml.<family>.<size>: whether the family's instances have local NVMe storage."""
    parts = instance_type.split(".")
    return len(parts) == 3 and parts[1] in LOCAL_STORAGE_FAMILIES
