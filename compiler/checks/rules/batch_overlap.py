"""A batch pipeline writes its predictions outside the data it reads."""

from compiler.checks.finding import Finding

RULE = "batch-overlap"
DESCRIPTION = "A batch pipeline's output and input prefixes do not overlap"


def check(context):
    batch = context.pipelines.get("batch")
    if batch is not None and (under(batch["output"], batch["input"]) or under(batch["input"], batch["output"])):
        yield Finding(("pipelines", "batch", "output"), "output overlaps input: a run would read its own results",
                      "write predictions under a prefix outside the input", RULE)


def under(uri: str, prefix: str) -> bool:
    """True when the S3 `uri` lies under `prefix` (or is it)."""
    uri, prefix = uri.rstrip("/") + "/", prefix.rstrip("/") + "/"
    return uri.startswith(prefix)
