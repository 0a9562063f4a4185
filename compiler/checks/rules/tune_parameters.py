"""Hyper-parameter ranges make sense for the tuning strategy SageMaker will run; a tuning stage
has an objective and parameters, and only a tuning stage has them."""

from compiler import stage_graph
from compiler.checks.finding import Finding

RULE = "tune"
DESCRIPTION = "Tuning parameters are either values or an ordered range that fits the strategy, within max_jobs"
STAGES = ("pipelines", "retrain", "stages")
#: The keys of a tuning stage (the tune_stage schema's own), and those it must have.
TUNING_KEYS = ("strategy", "objective", "max_jobs", "max_parallel_jobs", "parameters")
REQUIRED = ("objective", "parameters")


def check(context):
    stages = context.pipelines.get("retrain", {}).get("stages", {})
    yield from _tuning_keys(stages)
    name = stage_graph.tuning_stage(stages)
    tune = stages.get(name) if name else None
    if tune is None or any(key not in tune for key in REQUIRED):
        return
    base = STAGES + (name,)
    strategy = tune.get("strategy", "bayesian")
    for name, spec in sorted(tune["parameters"].items()):
        yield from _parameter(base + ("parameters", name), name, spec, strategy)
    if tune.get("max_parallel_jobs", 2) > tune.get("max_jobs", 10):
        yield Finding(base + ("max_parallel_jobs",), "runs more jobs at once than `max_jobs` allows in all",
                      "make max_parallel_jobs at most max_jobs", RULE)
    if strategy == "grid" and "max_jobs" in tune:
        yield Finding(base + ("max_jobs",), "grid search runs every combination; it takes no max_jobs",
                      "remove max_jobs, or choose another strategy", RULE)


def _tuning_keys(stages: dict):
    """A stage of the model's own of kind tuning says what to tune (the `tune` stage's schema
    requires it); other stages take no tuning keys."""
    for name, raw in sorted(stages.items()):
        if name == "tune" or not isinstance(raw, dict):
            continue
        if raw.get("kind") == "tuning":
            for key in REQUIRED:
                if key not in raw:
                    yield Finding(STAGES + (name, key), f"a tuning stage needs `{key}`",
                                  "e.g. objective: {metric: validation:auc, goal: maximize}; parameters: {eta: {min: 0.01, max: 0.3}}",
                                  RULE, at_key=True, anchor=STAGES + (name,))
        else:
            for key in TUNING_KEYS:
                if key in raw:
                    yield Finding(STAGES + (name, key), f"`{key}` is a setting of a tuning stage",
                                  "remove it, or make this stage `kind: tuning`", RULE, at_key=True)


def _parameter(path, name, spec, strategy):
    categorical = "values" in spec
    ranged = {"min", "max", "type", "scaling"} & set(spec)
    if categorical and ranged:
        yield Finding(path, f"parameter '{name}' mixes `values` with a range ({', '.join(sorted(ranged))})",
                      "give either {values: [...]} or {min, max, type, scaling}", RULE, at_key=True)
        return
    if not categorical:
        if "min" not in spec or "max" not in spec:
            yield Finding(path, f"parameter '{name}' needs both `min` and `max`, or `values`",
                          "e.g. {min: 0.01, max: 0.3, type: continuous, scaling: log}", RULE, at_key=True)
            return
        yield from _range(path, name, spec, strategy)


def _range(path, name, spec, strategy):
    low, high = spec["min"], spec["max"]
    if strategy == "grid":
        yield Finding(path, f"grid search takes only categorical parameters; '{name}' is a range",
                      "list the values to try: {values: [...]}", RULE, at_key=True)
    if low >= high:
        yield Finding(path + ("max",), f"max ({high}) must be greater than min ({low})", "", RULE)
    if spec.get("type") == "integer" and not (float(low).is_integer() and float(high).is_integer()):
        yield Finding(path, "an integer parameter needs whole-number bounds", "", RULE, at_key=True)
    if spec.get("scaling") == "log" and low <= 0:
        yield Finding(path + ("min",), "logarithmic scaling needs min greater than 0", "use linear scaling, or a positive min", RULE)

