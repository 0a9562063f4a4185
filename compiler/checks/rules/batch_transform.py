"""batch mode `transform`: a SageMaker Batch Transform job of the approved model version, with
the settings SageMaker accepts together (SageMaker API reference, CreateTransformJob), and the
`transform` settings in that mode only."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "batch-transform"
DESCRIPTION = ("batch mode transform runs a SageMaker transform job: compute sagemaker, no command, "
               "settings SageMaker accepts together; `transform` in that mode only")
#: Stage settings a transform job has no field for (written on the batch pipeline): the model's container serves (its image's
#: own entry point answers /invocations), and TransformResources has no volume size. (spot: the
#: stage-compute rule refuses it outside training.)
NOT_FOR_TRANSFORM = {
    "command": "a transform job runs the serving image as it is (it answers /ping and /invocations): "
               "remove `command`, or use mode full or mini",
    "volume_gb": "TransformResources has no volume size (SageMaker sizes it): remove `volume_gb`",
}
#: "The value of MaxPayloadInMB cannot be greater than 100 MB. If you specify the
#: MaxConcurrentTransforms parameter, the value of (MaxConcurrentTransforms * MaxPayloadInMB)
#: also cannot exceed 100 MB" (SageMaker API reference, CreateTransformJob: MaxPayloadInMB).
MAX_PAYLOAD_TOTAL_MB = 100
#: Joining input and output, and filtering them, work on CSV and JSON records only (SageMaker
#: developer guide, "Associate prediction results with input records": supported formats).
JOINABLE_CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines")


def check(context):
    batch = context.pipelines.get("batch")
    if batch is None:
        return
    if batch["mode"] != "transform":
        if "transform" in batch:
            yield Finding(("pipelines", "batch", "transform"), "'transform' applies to mode transform only",
                          "remove it, or set mode: transform", RULE, at_key=True)
        return
    stage = next(view for view in iter_stages(context.config) if view.pipeline == "batch")
    if stage.values["compute"] != "sagemaker":
        yield Finding(stage.origin("compute") if stage.origins.get("compute") else ("pipelines", "batch", "mode"),
                      "mode transform runs a SageMaker transform job: the batch stage's compute must be sagemaker",
                      "set compute: sagemaker on pipelines.batch (instance_type and instance_count size the job)", RULE)
    for key, hint in NOT_FOR_TRANSFORM.items():
        if key in stage.raw:  # stage_defaults' own are for the other stages: not inherited here
            yield Finding(stage.path + (key,), f"'{key}' does not apply to mode transform", hint, RULE)
    yield from _settings(batch.get("transform") or {})


def _settings(transform: dict):
    where = ("pipelines", "batch", "transform")
    payload, concurrent = transform.get("max_payload_mb"), transform.get("max_concurrent_transforms")
    if payload is not None and concurrent and payload * concurrent > MAX_PAYLOAD_TOTAL_MB:
        yield Finding(where + ("max_payload_mb",),
                      f"max_payload_mb * max_concurrent_transforms is {payload * concurrent} MB, over SageMaker's "
                      f"{MAX_PAYLOAD_TOTAL_MB} MB",
                      "SageMaker refuses MaxConcurrentTransforms * MaxPayloadInMB over 100 MB (CreateTransformJob: "
                      "MaxPayloadInMB): lower one of them", RULE)
    if "batch_strategy" in transform and transform.get("split_type", "None") == "None":
        yield Finding(where + ("batch_strategy",), "batch_strategy needs records: split_type is None",
                      "to enable the batch strategy, SageMaker requires SplitType Line, RecordIO or TFRecord "
                      "(CreateTransformJob: BatchStrategy): set split_type, or remove batch_strategy", RULE)
    content_type = transform.get("content_type")
    joins = [key for key in ("input_filter", "output_filter") if key in transform]
    joins += ["join_source"] if transform.get("join_source", "None") != "None" else []
    if content_type and joins and content_type.split(";")[0].strip().lower() not in JOINABLE_CONTENT_TYPES:
        yield Finding(where + (joins[0],), f"'{joins[0]}' works on CSV and JSON records, not {content_type}",
                      "SageMaker filters and joins records of text/csv, application/json and application/jsonlines "
                      "only (\"Associate prediction results with input records\"): change content_type, or remove "
                      f"{', '.join(joins)}", RULE)
