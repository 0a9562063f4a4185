"""Batch settings fit the mode, and no pipeline reads what it writes."""

from compiler.checks.finding import Finding

RULE = "batch"
MINI_ONLY = ("batch_size", "max_concurrency", "tolerated_failure_percent")


def check(context):
    batch = context.pipelines.get("batch")
    if batch is not None:
        if batch["mode"] == "full":
            for key in MINI_ONLY:
                if key in batch:
                    yield Finding(("pipelines", "batch", key), f"'{key}' applies to mode mini only",
                                  "remove it, or set mode: mini", RULE, at_key=True)
        if _under(batch["output"], batch["input"]) or _under(batch["input"], batch["output"]):
            yield Finding(("pipelines", "batch", "output"), "output overlaps input: a run would read its own results",
                          "write predictions under a prefix outside the input", RULE)
    yield from _retrain_loop(context)


def _retrain_loop(context):
    retrain = context.pipelines.get("retrain")
    bucket = context.platform.get("artifact_bucket")
    if not retrain or not bucket:
        return
    outputs = f"s3://{bucket}/{context.config['model']['name']}/"
    new_data = (retrain.get("triggers") or {}).get("new_data")
    if new_data is not None:
        watched = new_data.get("prefix") or retrain["data"]["source"]
        path = ("pipelines", "retrain", "triggers", "new_data") + (("prefix",) if "prefix" in new_data else ())
        if _under(watched, outputs) or _under(outputs, watched):
            yield Finding(path, f"watches {watched}, where the pipeline writes its own outputs: every run would start another",
                          "watch the prefix where new training data lands", RULE)


def _under(uri: str, prefix: str) -> bool:
    uri, prefix = uri.rstrip("/") + "/", prefix.rstrip("/") + "/"
    return uri.startswith(prefix)
