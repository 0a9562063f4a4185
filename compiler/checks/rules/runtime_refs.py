"""Every stage and the deploy target name a runtime that `runtimes` defines."""

from compiler.checks.finding import Finding, did_you_mean
from compiler.inherit import iter_stages

RULE = "runtime-ref"
DESCRIPTION = "Every stage and the deploy pipeline name a runtime that `runtimes` defines"


def check(context):
    runtimes = context.config["runtimes"]
    for stage in iter_stages(context.config):
        runtime = stage.values["runtime"]
        if runtime is None:
            yield Finding(stage.path, f"stage '{stage.name}' has no runtime",
                          "set `runtime:` on the stage or in `stage_defaults`", RULE, at_key=True)
        elif runtime not in runtimes:
            yield _unknown(stage.origin("runtime"), runtime, runtimes)
    deploy = context.pipelines.get("deploy")
    if deploy and deploy["runtime"] not in runtimes:
        yield _unknown(("pipelines", "deploy", "runtime"), deploy["runtime"], runtimes)


def _unknown(path, runtime, runtimes):
    hint = did_you_mean(runtime, runtimes) or "runtimes defined: " + ", ".join(sorted(runtimes))
    return Finding(path, f"runtime '{runtime}' is not defined under `runtimes`", hint, RULE)
