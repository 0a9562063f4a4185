"""A retrain pipeline's new-data trigger does not watch where the pipeline writes its own outputs
(s3://<artifact_bucket>/<model>/): every run would start another."""

from compiler import s3_prefix
from compiler.checks.finding import Finding
from compiler.checks.rules.batch_overlap import under

RULE = "retrain-trigger-loop"
DESCRIPTION = "The new_data trigger does not watch the prefix where the pipeline writes its own outputs"


def check(context):
    retrain = context.pipelines.get("retrain")
    bucket = context.platform.get("artifact_bucket")
    if not retrain or not bucket:
        return
    outputs = f"s3://{bucket}/{context.config['model']['name']}/"
    new_data = (retrain.get("triggers") or {}).get("new_data")
    if new_data is not None:
        watched = s3_prefix.new_data_uri(retrain)
        path = ("pipelines", "retrain", "triggers", "new_data") + (("prefix",) if "prefix" in new_data else ())
        if under(watched, outputs) or under(outputs, watched):
            yield Finding(path, f"watches {watched}, where the pipeline writes its own outputs: every run would start another",
                          "watch the prefix where new training data lands", RULE)
