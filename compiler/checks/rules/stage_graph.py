"""The retrain stage graph is one the pipeline can run: every `after` names a stage that exists,
once, other than itself, without a cycle; a well-known stage keeps its kind; at most one tuning
stage, and train runs after it (it tunes train)."""

from compiler import stage_graph
from compiler.checks.finding import Finding, did_you_mean
from compiler.stage_graph import WELL_KNOWN_KINDS

RULE = "stage-graph"
DESCRIPTION = ("Stages run after existing stages, without cycles; well-known stages keep their kind; "
               "one tuning stage, before train; no reserved names")
STAGES = ("pipelines", "retrain", "stages")
#: Names a stage of your own cannot have: they are taken in the retrain pipeline already.
RESERVED = {"baseline": "the monitor's baseline stage (`monitor.baseline`) runs under this name",
            "done": "the retrain state machine's last state is named Done"}


def check(context):
    stages = (context.pipelines.get("retrain") or {}).get("stages") or {}
    yield from _kinds(stages)
    yield from _after_lists(stages)
    after = {name: tuple(parent for parent in parents if parent in stages and parent != name)
             for name, parents in stage_graph.effective_after(stages).items()}
    cycle = stage_graph.find_cycle(after)
    if cycle:
        yield Finding(STAGES + (cycle[0], "after"), f"the stages run after each other in a cycle: {' -> '.join(cycle)}",
                      "remove one of these `after` entries: a stage can only run after stages that finish first", RULE)
        return
    yield from _tuning(stages, after)


def _kinds(stages: dict):
    for name, raw in stages.items():
        if name in RESERVED:
            yield Finding(STAGES + (name,), f"a stage cannot be named '{name}': {RESERVED[name]}",
                          "give the stage another name", RULE, at_key=True)
        kind = raw.get("kind")
        if name in WELL_KNOWN_KINDS and kind is not None and kind != WELL_KNOWN_KINDS[name]:
            yield Finding(STAGES + (name, "kind"), f"the {name} stage is always of kind {WELL_KNOWN_KINDS[name]}",
                          f"remove `kind`, or give a stage of kind {kind} a name of its own", RULE)


def _after_lists(stages: dict):
    for name, raw in stages.items():
        seen = set()
        for index, parent in enumerate(raw.get("after") or ()):
            where = STAGES + (name, "after", index)
            if parent == name:
                yield Finding(where, f"the {name} stage cannot run after itself", "remove it from `after`", RULE)
            elif parent not in stages:
                known = sorted(set(stages) - {name})
                yield Finding(where, f"no stage named '{parent}' in pipelines.retrain.stages",
                              did_you_mean(parent, known) or "stages here: " + ", ".join(known), RULE)
            elif parent in seen:
                yield Finding(where, f"'{parent}' is listed twice", "list each stage once", RULE)
            seen.add(parent)


def _tuning(stages: dict, after: dict):
    tuning = sorted((name for name, raw in stages.items() if stage_graph.stage_kind(name, raw) == "tuning"),
                    key=lambda name: (name != "tune", name))  # as stage_graph.tuning_stage: tune first
    for name in tuning[1:]:
        yield Finding(STAGES + (name, "kind"), f"a run has one tuning stage, and {tuning[0]} is one",
                      "tune train in one stage: the tuning stage tunes train, which runs after it", RULE)
    first = tuning[0] if tuning else None
    if first and "train" in stages and first not in stage_graph.ancestors(after, "train"):
        yield Finding(STAGES + ("train", "after") if "after" in stages["train"] else STAGES + ("train",),
                      f"train does not run after {first}, whose tuned hyper-parameters it trains with",
                      f"add {first} to train's `after` (or to that of a stage train runs after)", RULE)
