"""Where a prebuilt runtime can run: its `code` folder reaches SageMaker jobs only (processing jobs
as an input, training jobs in script mode: rule script-mode), and Lambda cannot run AWS's
SageMaker images."""

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind

RULE = "prebuilt-use"
DESCRIPTION = "A runtime's `code` runs in SageMaker stages only, not on Fargate or a deploy target; a Lambda target runs no AWS-provided image"


def check(context):
    runtimes = context.config["runtimes"]
    for stage in iter_stages(context.config):
        runtime = runtimes.get(stage.values["runtime"]) or {}
        if "code" not in runtime:
            continue
        # A tuning stage (`tune` or one of the model's own) runs on SageMaker whatever it inherits.
        compute = "sagemaker" if view_kind(stage) == "tuning" else stage.values["compute"]
        where = stage.origin("runtime")
        if compute == "fargate":
            yield Finding(where, f"runtime '{stage.values['runtime']}' has `code`, which reaches SageMaker jobs only",
                          "a Fargate task runs its image as it is: build one with a `dockerfile` that copies the code in", RULE)
    deploy = context.pipelines.get("deploy")
    runtime = runtimes.get(deploy["runtime"]) if deploy else None
    if not runtime or "image" not in runtime:
        return
    if "code" in runtime:
        yield Finding(("pipelines", "deploy", "runtime"), f"runtime '{deploy['runtime']}' has `code`, which a deploy target does not receive",
                      "serve an image that holds its code (a `dockerfile` runtime), or one without `code`", RULE)
    if deploy.get("target") == "lambda" and isinstance(runtime["image"], dict):
        # Lambda runs images that implement its Runtime API (Lambda developer guide, "Create a Lambda
        # function using a container image", Requirements); SageMaker's framework images do not.
        yield Finding(("pipelines", "deploy", "runtime"), f"runtime '{deploy['runtime']}' is an AWS-provided SageMaker image, "
                      "which Lambda cannot run", "serve on Lambda an image built for it (a `dockerfile` runtime on a "
                      "Lambda base image, or one pinned by digest)", RULE)
