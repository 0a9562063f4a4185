"""The retrain gate as the compiled retrain pipeline enforces it, read back from OUT.

The gate (`train.gate` / `evaluate.gate` in mlops.yaml) is compiled into one Choice rule that
compares the parsed metrics.json, `$.metrics.values['rmse'] < 12.5` (render/asl/retrain_pipeline.py:
`_gate`, `metric_variable`). Reading the thresholds from the definition that runs, rather than from
the config, shows what registered the versions: the commands that read the registry get OUT, not
the config. Pure: a definition in, thresholds out.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional, Union

from compiler.diff.states import comparisons

#: The gate's comparison operators -> mlops.yaml's words (schemas/config-v1.schema.json, gate_condition).
COMPARISONS = {"NumericLessThan": "below", "NumericGreaterThan": "above",
               "NumericLessThanEquals": "at_most", "NumericGreaterThanEquals": "at_least"}
SYMBOLS = {"below": "<", "above": ">", "at_most": "≤", "at_least": "≥"}
#: `$.metrics.values['a']['b']`: each bracketed key one step into metrics.json (metric `a.b`).
_VARIABLE = re.compile(r"^\$\.metrics\.values((?:\['[^']*'\])+)$")
_KEY = re.compile(r"\['([^']*)'\]")


@dataclasses.dataclass(frozen=True)
class Threshold:
    metric: str  # a metrics.json key, or dotted keys into nested objects, as in mlops.yaml
    comparison: str  # below, above, at_most, at_least
    value: Union[int, float]

    @property
    def text(self) -> str:
        return f"{self.metric} {SYMBOLS[self.comparison]} {self.value:g}"


def thresholds(retrain: Optional[dict]) -> list[Threshold]:
    """The gate of a compiled retrain definition, in the order written; [] without retrain (an
    environment whose versions are promoted into it) or without a gate."""
    found = []
    for state in ((retrain or {}).get("States") or {}).values():
        if not isinstance(state, dict) or state.get("Type") != "Choice":
            continue
        for rule in state.get("Choices") or []:
            for term in comparisons(rule):
                metric = _metric(term.variable)
                if metric is not None and term.operator in COMPARISONS:
                    found.append(Threshold(metric, COMPARISONS[term.operator], term.value))
    return found


def _metric(variable: str) -> Optional[str]:
    matched = _VARIABLE.match(variable)
    return ".".join(_KEY.findall(matched.group(1))) if matched else None
