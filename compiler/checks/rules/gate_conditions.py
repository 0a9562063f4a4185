"""Each gate condition names one metric and exactly one comparison."""

from compiler.checks.finding import Finding

RULE = "gate"
DESCRIPTION = "Each gate condition names one metric and exactly one comparison"
COMPARATORS = ("below", "above", "at_most", "at_least")


def check(context):
    evaluate = context.pipelines.get("retrain", {}).get("stages", {}).get("evaluate") or {}
    for index, condition in enumerate(evaluate.get("gate", [])):
        path = ("pipelines", "retrain", "stages", "evaluate", "gate", index)
        given = [key for key in COMPARATORS if key in condition]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            yield Finding(path, f"a gate condition needs exactly one of {', '.join(COMPARATORS)} (found {found})",
                          f"e.g. {{metric: {condition['metric']}, below: 0.12}}; write two conditions for a range",
                          RULE)
