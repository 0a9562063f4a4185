"""batch.asl.json: score the batch input with the approved model, as one job or as a Distributed
Map of mini-batches."""

from __future__ import annotations

from compiler.render.asl import batch_transform
from compiler.render.asl.jinja_templates import render
from compiler.render.asl.shared_states import (
    BOOKKEEPING_SECONDS, base_context, container_step, failure_chain, pointers_check)
from compiler.render.naming import Naming, states_format


def definition(naming: Naming) -> dict:
    batch = naming.config.batch
    if batch.mode == "transform":
        return batch_transform.definition(naming, _approved_model(naming))
    stage = batch.stage
    context = base_context(naming, "batch", f"Batch scoring for {naming.config.name} ({naming.config.environment}), "
                           f"{batch.mode} mode: {batch.input} -> {batch.output}")
    context["map"] = _distributed_map(naming, batch) if batch.mode == "mini" else None
    scope = naming.under("$.BatchInput.run_id", "$.BatchInput.pointers") if context["map"] else naming
    extra = {"MLOPS_OUTPUT_PREFIX": batch.output}
    approved = _approved_model(naming)
    if approved:
        extra["MLOPS_MODEL_URI"] = f"{scope.pointers}.approved_model_data.S"
    if context["map"]:
        extra["MLOPS_BATCH_URI"] = states_format(f"s3://{naming.platform.artifact_bucket}/{_manifest_key(naming)}",
                                               scope.run_id, "$$.Execution.Name")
    # The Map's own success event and failure chain run after the Map, in the parent execution,
    # where `$.BatchInput` does not exist ("Distributed Map state": BatchInput is each child
    # execution's input): only the Score batch task reads the child's scope.
    step = container_step(naming, "batch", stage, batch.input, None, extra, task_scope=scope)
    step.update(name="Score", next="Done")
    if context["map"]:
        # Batches run max_concurrency at a time; the whole map may take that many rounds.
        step["map_timeout"] = step["timeout"] * -(-MAX_EXPECTED_BATCHES // batch.max_concurrency)
    task_keys = ["batch-batch"] if stage.compute == "fargate" else []
    pointers = pointers_check(naming, "batch", [stage.runtime], task_keys,
                              then=approved["state"] if approved else "Publish run started")
    context.update({
        "timeout": step.get("map_timeout", step["timeout"]) * (1 + stage.retry.max_attempts) + BOOKKEEPING_SECONDS,
        "pointers": pointers,
        "approved": approved,
        "step": step,
        "transform": None,
    })
    return render("batch.asl.json.j2", context)


def _approved_model(naming: Naming) -> dict | None:
    """Which model a batch run scores with (docs/state-machines.md, "Which model batch scores with"): a model that is
    retrained scores with the registry's approved pointer (`approved_model_data`: the version that
    last deployed successfully, or, without a deploy pipeline, the version last approved); a model
    without retrain has no model artifacts, its image is the model (None: nothing to check). Where
    retrain is switched off, versions are promoted there: batch scores with the approved one too."""
    if not naming.config.has_versions:
        return None
    how = ("deploy an approved version (the pointer moves when a deployment succeeds)" if naming.config.deploy
           else "approve a version: mlopsc registry approve OUT VERSION --env " + naming.config.environment)
    failure = failure_chain(naming, "batch", "no approved model", "NoApprovedModel",
                            f"The registry names no approved model version in this environment yet: {how}.",
                            "RunFailed")
    return {"state": "Check approved model",
            "check": {"Variable": f"{naming.pointers}.approved_model_data.S", "IsPresent": True,
                      "Next": "Publish run started"},
            "failure": failure}


#: Sizing the batch pipeline's overall time-out: the number of batches one run is planned for.
MAX_EXPECTED_BATCHES = 1000


def _manifest_key(naming: Naming) -> str:
    return naming.run_prefix("batch") + "batches/{}.json"


def _distributed_map(naming: Naming, batch) -> dict:
    bucket, _, prefix = batch.input.removeprefix("s3://").partition("/")
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": naming.platform.kms_key} if naming.platform.kms_key else {}
    return {
        "comment": f"Each batch of up to {batch.batch_size} input objects is one task; "
                   f"{batch.max_concurrency} run at once.",
        "item_reader": {"Resource": f"arn:{naming.platform.partition}:states:::s3:listObjectsV2",
                        "Parameters": {"Bucket": bucket, "Prefix": prefix}},
        "item_batcher": {"MaxItemsPerBatch": batch.batch_size,
                         "BatchInput": {"run_id.$": naming.run_id, "pointers.$": naming.pointers}},
        "max_concurrency": batch.max_concurrency,
        "tolerated_failure_percent": batch.tolerated_failure_percent,
        "write_manifest": {"Bucket": naming.platform.artifact_bucket,
                           "Key.$": states_format(_manifest_key(naming), "$.BatchInput.run_id", "$$.Execution.Name"),
                           "Body.$": "$.Items", "ContentType": "application/json", **encryption},
        "result_writer": {"Resource": f"arn:{naming.platform.partition}:states:::s3:putObject",
                          "Parameters": {"Bucket": naming.platform.artifact_bucket,
                                         "Prefix.$": states_format(naming.run_prefix("batch") + "map-results", naming.run_id)}},
        "result_selector": {"manifest.$": "$.ResultWriterDetails"},
    }
