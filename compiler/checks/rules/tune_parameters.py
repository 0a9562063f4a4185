"""Hyper-parameter ranges make sense for the tuning strategy SageMaker will run."""

from compiler.checks.finding import Finding

RULE = "tune"
DESCRIPTION = "Tuning parameters are either values or an ordered range that fits the strategy, within max_jobs"
BASE = ("pipelines", "retrain", "stages", "tune")


def check(context):
    tune = context.pipelines.get("retrain", {}).get("stages", {}).get("tune")
    if tune is None:
        return
    strategy = tune.get("strategy", "bayesian")
    for name, spec in sorted(tune["parameters"].items()):
        yield from _parameter(BASE + ("parameters", name), name, spec, strategy)
    if tune.get("max_parallel_jobs", 2) > tune.get("max_jobs", 10):
        yield Finding(BASE + ("max_parallel_jobs",), "runs more jobs at once than `max_jobs` allows in all",
                      "make max_parallel_jobs at most max_jobs", RULE)
    if strategy == "grid" and "max_jobs" in tune:
        yield Finding(BASE + ("max_jobs",), "grid search runs every combination; it takes no max_jobs",
                      "remove max_jobs, or choose another strategy", RULE)


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

