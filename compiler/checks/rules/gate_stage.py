"""One stage holds the gate, an evaluate-kind stage, and its metrics come from a stage (or one
of its outputs) that exists."""

from compiler import stage_graph
from compiler.checks.finding import Finding, did_you_mean
from compiler.inherit import iter_stages

RULE = "gate-stage"
DESCRIPTION = ("One evaluate-kind stage holds the gate; `metrics.from` names a stage or an output it has, "
               "one its job uploads")
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
        if "gate" in raw:
            yield from _uploaded(context, name, raw, stages)


def _uploaded(context, name: str, raw: dict, stages: dict):
    """A SageMaker processing job with declared `outputs` uploads exactly those (render/stage_parameters.py),
    so a metrics file in the stage's own folder is never written there: the gate would fail every run."""
    source = (raw.get("metrics") or {}).get("from", name)
    stage, output = stage_graph.split_source(source)
    if output is not None or stage not in stages or not stages[stage].get("outputs"):
        return
    view = next((v for v in iter_stages(context.config) if v.pipeline == "retrain" and v.name == stage), None)
    if view is None or view.values["compute"] != "sagemaker" or stage_graph.view_kind(view) not in ("processing", "evaluate"):
        return
    where = STAGES + (name,) + (("metrics", "from") if "from" in (raw.get("metrics") or {}) else ("gate",))
    first = sorted(stages[stage]["outputs"])[0]
    yield Finding(where, f"the gate reads {stage}'s folder, which its SageMaker job does not upload: "
                         "with `outputs` declared it uploads only those",
                  f"read the metrics from an output, e.g. `metrics: {{from: {stage}.{first}, file: metrics.json}}`",
                  RULE, at_key="from" not in (raw.get("metrics") or {}))


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
