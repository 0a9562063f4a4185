"""Each gate condition names one metric and exactly one comparison."""

from compiler.checks.finding import Finding

RULE = "gate"
DESCRIPTION = "Each gate condition names one metric and exactly one comparison"
COMPARATORS = ("below", "above", "at_most", "at_least")


def check(context):
    stages = context.pipelines.get("retrain", {}).get("stages", {})
    for name, stage in sorted(stages.items()):  # the gate-stage rule allows one; each is checked
        yield from _conditions(name, stage or {})


def _conditions(name: str, stage: dict):
    for index, condition in enumerate(stage.get("gate", [])):
        path = ("pipelines", "retrain", "stages", name, "gate", index)
        given = [key for key in COMPARATORS if key in condition]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            yield Finding(path, f"a gate condition needs exactly one of {', '.join(COMPARATORS)} (found {found})",
                          f"e.g. {{metric: {condition['metric']}, below: 0.12}}; write two conditions for a range",
                          RULE)
