"""batch.asl.json in mode `transform`: the approved model version becomes a SageMaker model (the
batch stage's runtime image with the version's artifacts, as deploy's endpoint model), a Batch
Transform job scores batch.input with it, and the model is deleted again, whatever the outcome.

Routes: pointers and approved model checked as in the other batch modes (shared states); then
Create model (failure: `model not created`), Score (the transform job, `.sync`; failure: the
model is deleted, then `batch failed`), the success event, Delete model, Done."""

from __future__ import annotations

import json

from compiler.aws_data.local_storage import has_local_storage
from compiler.render.asl.jinja_templates import render
from compiler.render.asl.sagemaker_endpoint_target import sagemaker_model
from compiler.render.asl.shared_states import (
    BOOKKEEPING_SECONDS, base_context, failure_chain, pointers_check, stage_step)
from compiler.render.naming import Naming, states_format

#: Where the run keeps the name of the model it created (a Pass names it once: every attempt of
#: the transform job and the clean-up read the same name).
MODEL_NAME = "$.transform.model"


def definition(naming: Naming, approved: dict | None) -> dict:
    batch = naming.config.batch
    stage = batch.stage
    partition = naming.platform.partition
    context = base_context(naming, "batch", f"Batch scoring for {naming.config.name} ({naming.config.environment}), "
                           f"transform mode: {batch.input} -> {batch.output}")
    step = stage_step(naming, "batch", stage, f"arn:{partition}:states:::sagemaker:createTransformJob.sync",
                      transform_job(naming), {"job_name.$": "$.TransformJobName"})
    step.update(name="Score", next="Delete model")
    model_data = f"{naming.pointers}.approved_model_data.S" if approved else None
    context.update({
        "timeout": step["timeout"] * (1 + stage.retry.max_attempts) + BOOKKEEPING_SECONDS,
        "pointers": pointers_check(naming, "batch", [stage.runtime], [],
                                   then=approved["state"] if approved else "Publish run started"),
        "approved": approved,
        "step": step,
        "map": None,
        "transform": {
            "name_model": {"model.$": naming.job_name("batch", "sagemaker_model")},
            "create_model": sagemaker_model(naming, "batch", MODEL_NAME, naming.image_parameter("Image", stage.runtime),
                                            model_data, _model_environment(naming, stage)),
            "model_failure": failure_chain(naming, "batch", "model not created", "ModelNotCreated",
                                           "SageMaker did not create the model of the approved version "
                                           "(see the notification's error).", "RunFailed"),
            "delete_model": {"ModelName.$": MODEL_NAME},
        },
    })
    return render("batch.asl.json.j2", context)


def _model_environment(naming: Naming, stage) -> dict:
    """The serving container's variables: the stage's own, and which model and environment it
    serves (as deploy's model). Secrets are ARNs the container resolves itself (a SageMaker
    container cannot mount them), as in a SageMaker processing stage."""
    environment = {**stage.environment, "MLOPS_MODEL": naming.config.name,
                   "MLOPS_ENVIRONMENT": naming.config.environment, "MLOPS_PIPELINE": "batch"}
    if stage.secrets:
        environment["MLOPS_SECRETS"] = json.dumps(dict(stage.secrets), sort_keys=True)
    return environment


def transform_job(naming: Naming) -> dict:
    """CreateTransformJob (SageMaker API reference, CreateTransformJob; developer guide, "Batch
    transform for inference with Amazon SageMaker AI"). Each run writes under its own folder of
    batch.output: SageMaker names an output object after its input object (`<name>.out`), so runs
    into one prefix would overwrite each other's scores."""
    batch = naming.config.batch
    settings, stage, platform = batch.transform, batch.stage, naming.platform
    transform_input = {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": batch.input}},
                       "SplitType": settings.split_type, "CompressionType": settings.compression}
    if settings.content_type:
        transform_input["ContentType"] = settings.content_type
    transform_output = {"S3OutputPath.$": states_format(batch.output.rstrip("/") + "/{}/", naming.run_id),
                        "AssembleWith": settings.assemble_with}
    if settings.accept:
        transform_output["Accept"] = settings.accept
    resources = {"InstanceType": stage.instance_type, "InstanceCount": stage.instance_count}
    if platform.kms_key:
        transform_output["KmsKeyId"] = platform.kms_key
        if not has_local_storage(stage.instance_type):  # SageMaker refuses VolumeKmsKeyId there (TransformResources)
            resources["VolumeKmsKeyId"] = platform.kms_key
    job = {"TransformJobName.$": naming.job_name("batch"), "ModelName.$": MODEL_NAME,
           "TransformInput": transform_input, "TransformOutput": transform_output,
           "TransformResources": resources, "DataProcessing": _data_processing(settings),
           "Tags": naming.tags("batch")}
    optional = {"BatchStrategy": settings.batch_strategy, "MaxPayloadInMB": settings.max_payload_mb,
                "MaxConcurrentTransforms": settings.max_concurrent_transforms}
    job.update({key: value for key, value in optional.items() if value is not None})
    return job


def _data_processing(settings) -> dict:
    """DataProcessing: JoinSource always (None by default, SageMaker's own default); the filters
    where set (SageMaker's default `$`: the whole record)."""
    processing = {"JoinSource": settings.join_source}
    if settings.input_filter:
        processing["InputFilter"] = settings.input_filter
    if settings.output_filter:
        processing["OutputFilter"] = settings.output_filter
    return processing
