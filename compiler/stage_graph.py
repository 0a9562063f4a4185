"""The retrain stage graph, read from the config as written (`pipelines.retrain.stages`): each
stage's kind, the stages it runs after, and from those its level (the longest path from a stage
that runs first). Shared by the checks (which report what is wrong with it) and by `resolve` and
render/stages.py (which build and order a graph that passed them), so they can never disagree.

A well-known stage without `after` keeps its place in the default chain: it runs after the
previous well-known stage present (inherit.RETRAIN_STAGES order), so a config without `after`
runs exactly as before the graph existed.
"""

from __future__ import annotations

from typing import Iterable, Optional

from compiler.inherit import RETRAIN_STAGES

#: The kind of each well-known stage (a stage of your own says its kind).
WELL_KNOWN_KINDS = {"validate": "processing", "transform": "processing", "tune": "tuning", "train": "training",
                    "evaluate": "evaluate"}
#: The monitor's baseline (`monitor.baseline`) runs after this stage: the data train learnt from.
BASELINE_AFTER = "train"
#: Where stages of one level are listed: the well-known ones in run order (the baseline after
#: train), then the others by name.
_LISTED = RETRAIN_STAGES[:RETRAIN_STAGES.index(BASELINE_AFTER) + 1] + ("baseline",) + \
    RETRAIN_STAGES[RETRAIN_STAGES.index(BASELINE_AFTER) + 1:]


def _as_map(value) -> dict:
    return value if isinstance(value, dict) else {}


def stage_kind(name: str, raw: dict) -> Optional[str]:
    return WELL_KNOWN_KINDS.get(name) or _as_map(raw).get("kind")


def tuning_stage(stages: dict) -> Optional[str]:
    """The one tuning stage (`tune`, or a stage of the model's own of kind tuning), if any."""
    found = sorted((name for name, raw in stages.items() if stage_kind(name, raw) == "tuning"),
                   key=lambda name: (name != "tune", name))  # several: the checks refuse all but this one
    return found[0] if found else None


def is_graph(stages: dict) -> bool:
    """A config that uses the graph: some stage says `after`, or a stage of its own exists. Only
    then does the monitor's baseline join the graph (in parallel with what else follows train);
    otherwise it keeps its place in the chain, right after train."""
    return any(name not in WELL_KNOWN_KINDS or "after" in _as_map(raw) for name, raw in stages.items())


def effective_after(stages: dict) -> dict:
    """stage name -> tuple of the stages it runs after (as written, duplicates dropped; a
    well-known stage without `after`: the previous well-known stage present)."""
    after, previous = {}, None
    for name in RETRAIN_STAGES:
        if name in stages:
            written = _as_map(stages[name]).get("after")
            after[name] = _unique(written) if isinstance(written, list) else ((previous,) if previous else ())
            previous = name
    for name in sorted(set(stages) - set(RETRAIN_STAGES)):
        written = _as_map(stages[name]).get("after")
        after[name] = _unique(written) if isinstance(written, list) else ()
    return after


def _unique(names: Iterable) -> tuple:
    return tuple(dict.fromkeys(name for name in names if isinstance(name, str)))


def with_baseline(after: dict, graph: bool) -> dict:
    """`after` with the monitor's baseline joined: after train; in the default chain also before
    whatever ran right after train (so the chain stays one line, as it always was)."""
    after = dict(after)
    if BASELINE_AFTER not in after:
        return after
    after["baseline"] = (BASELINE_AFTER,)
    if not graph:
        for name, before in after.items():
            if name != "baseline" and before == (BASELINE_AFTER,):
                after[name] = ("baseline",)
    return after


def find_cycle(after: dict) -> Optional[list]:
    """A cycle through known stages, as [a, b, ..., a], or None."""
    state: dict = {}

    def visit(name, trail):
        state[name] = "open"
        for parent in after.get(name, ()):
            if parent not in after:
                continue
            if state.get(parent) == "open":
                return trail[trail.index(parent):] + [parent]
            if parent not in state:
                found = visit(parent, trail + [parent])
                if found:
                    return found
        state[name] = "done"
        return None

    for name in sorted(after, key=order_key):
        if name not in state:
            found = visit(name, [name])
            if found:
                return list(reversed(found))
    return None


def order_key(name: str) -> tuple:
    return (_LISTED.index(name), "") if name in _LISTED else (len(_LISTED), name)


def levels(after: dict) -> list:
    """Stages grouped by level, the longest path from a stage that runs first: a stage runs in
    the level after its latest parent. `after` must be acyclic and name only known stages."""
    level: dict = {}

    def depth(name):
        if name not in level:
            level[name] = 1 + max((depth(parent) for parent in after[name]), default=-1)
        return level[name]

    for name in after:
        depth(name)
    grouped: dict = {}
    for name, index in level.items():
        grouped.setdefault(index, []).append(name)
    return [tuple(sorted(grouped[index], key=order_key)) for index in sorted(grouped)]


def ancestors(after: dict, name: str) -> set:
    """Every stage `name` runs after, directly or through others."""
    found, todo = set(), list(after.get(name, ()))
    while todo:
        parent = todo.pop()
        if parent in found or parent not in after:
            continue
        found.add(parent)
        todo.extend(after[parent])
    return found


def split_source(source: str) -> tuple:
    """(stage, output or None) of a `from` that names a stage; (None, None) for an s3:// URI."""
    if source.startswith("s3://"):
        return None, None
    stage, _, output = source.partition(".")
    return stage, output or None


def variable(prefix: str, name: str) -> str:
    """MLOPS_INPUT_<NAME>_URI / MLOPS_OUTPUT_<NAME>_URI of a named input or output."""
    return f"MLOPS_{prefix}_{name.upper().replace('-', '_')}_URI"


def view_kind(view) -> str:
    """The kind of an inherit.StageView: a retrain stage's own; the baseline, batch and drift
    jobs are processing."""
    if view.pipeline == "retrain" and view.name != "baseline":
        return stage_kind(view.name, view.raw) or "processing"
    return "processing"
