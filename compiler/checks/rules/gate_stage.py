"""One stage holds the gate, an evaluate-kind stage, and its metrics come from a stage (or one
of its outputs) that exists."""

from compiler import stage_graph
from compiler.checks.finding import Finding, did_you_mean

RULE = "gate-stage"
DESCRIPTION = "One evaluate-kind stage holds the gate; `metrics.from` names a stage or an output it has"
STAGES = ("pipelines", "retrain", "stages")


def check(context):
    stages = (context.pipelines.get("retrain") or {}).get("stages") or {}
    gated = sorted(name for name, raw in stages.items() if "gate" in raw)
    for name in gated[1:]:
        yield Finding(STAGES + (name, "gate"), f"the gate is on {gated[0]} already: a run has one gate",
                      f"put all conditions on one stage; `metrics: {{from: ...}}` reads metrics from any stage", RULE,
                      at_key=True)
    for name, raw in sorted(stages.items()):
        kind = stage_graph.stage_kind(name, raw)
        if "gate" in raw and kind not in ("evaluate", None):  # no kind: the schema says so
            yield Finding(STAGES + (name, "gate"), f"the gate is on an evaluate stage, and {name} is of kind {kind}",
                          "move the gate to a stage of kind evaluate", RULE, at_key=True)
        if "metrics" in raw and "gate" not in raw:
            yield Finding(STAGES + (name, "metrics"), "`metrics` says where the gate reads its metrics: there is no gate here",
                          "add `gate` conditions to this stage, or remove `metrics`", RULE, at_key=True)
        elif "from" in (raw.get("metrics") or {}):
            yield from _source(name, raw["metrics"]["from"], stages)


def _source(name: str, source: str, stages: dict):
    where = STAGES + (name, "metrics", "from")
    stage, output = stage_graph.split_source(source)
    if stage not in stages:
        yield Finding(where, f"no stage named '{stage}' in pipelines.retrain.stages",
                      did_you_mean(stage, sorted(stages)) or "stages here: " + ", ".join(sorted(stages)), RULE)
    elif output is not None and output not in (stages[stage].get("outputs") or {}):
        declared = sorted(stages[stage].get("outputs") or {})
        yield Finding(where, f"the {stage} stage has no output '{output}'",
                      did_you_mean(output, declared) or f"declare it under {stage}'s `outputs`", RULE)
