"""Batch settings fit the mode: the mini-batch keys apply to mode mini only."""

from compiler.checks.finding import Finding

RULE = "batch"
DESCRIPTION = "batch_size, max_concurrency and tolerated_failure_percent apply to batch mode mini only"
MINI_ONLY = ("batch_size", "max_concurrency", "tolerated_failure_percent")


def check(context):
    batch = context.pipelines.get("batch")
    if batch is not None and batch["mode"] != "mini":
        for key in MINI_ONLY:
            if key in batch:
                yield Finding(("pipelines", "batch", key), f"'{key}' applies to mode mini only",
                              "remove it, or set mode: mini", RULE, at_key=True)
