"""baseline: statistics.json and constraints.json of the training data, for Model Monitor.

Runs after train. MLOPS_INPUT_URI is the transform output that train read; its `train.csv`
holds the endpoint's input columns, schema.FEATURES, in the endpoint's CSV column order.
SageMaker Model Monitor compares the captured endpoint traffic with these files, so they follow
the developer guide's "Schema for Statistics (statistics.json file)" and "Schema for Constraints
(constraints.json file)" (numerical features only). Everything but main() is pure and
standard-library only.
"""
import csv
import io
import json
import math
import re
from bisect import bisect_left, bisect_right

from forecast import storage
from forecast.schema import FEATURES

BUCKETS = 10  # "By default, the distribution is materialized in 10 buckets" (statistics schema)
# KLL sketch parameters: c is the shrinking factor (Deequ's default), k the sketch size; the
# values found in statistics.json files of the prebuilt Model Monitor container.
KLL_C = 0.64
KLL_K = 2048
# Constraints schema: comparison_threshold default 0.1; "Robust" is Model Monitor's linf_robust,
# the largest CDF difference corrected for small samples (two-sample Kolmogorov-Smirnov test).
COMPARISON_THRESHOLD = 0.1
_INTEGRAL = re.compile(r"[+-]?\d+")


def parse_value(raw):
    """One cell -> (number or None for missing, "Integral" | "Fractional" | None).

    Text is typed as Deequ's DataType analyzer (the library behind Model Monitor's baselining)
    types a cell: digits only -> Integral, a decimal number -> Fractional; a feature is Integral
    only if every present cell is. Empty cells and non-finite numbers are missing.
    """
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return float(raw), "Integral"
    if isinstance(raw, int):
        return float(raw), "Integral"
    if isinstance(raw, float):
        return (raw, "Fractional") if math.isfinite(raw) else (None, None)
    text = str(raw).strip()
    if not text:
        return None, None
    if _INTEGRAL.fullmatch(text):
        return float(int(text)), "Integral"
    value = float(text)  # ValueError on a non-numeric cell: a baseline of bad data must fail
    return (value, "Fractional") if math.isfinite(value) else (None, None)


class KLLSketch:
    """Deterministic port of Deequ's QuantileNonSample (the sketch behind Model Monitor's KLL).

    Level h holds items of weight 2**h; `levels` is what statistics.json calls sketch.data.
    Up to capacity(0) = 2050 values (k = 2048) nothing is compacted and the sketch is exact.
    """

    def __init__(self, k=KLL_K, c=KLL_C):
        self.k, self.c = k, c
        self.levels = [[]]
        self._offsets = [0]
        self._compactions = [0]

    def capacity(self, height):
        return 2 * (math.ceil(self.k * self.c ** height / 2) + 1)

    def update(self, value):
        self.levels[0].append(value)
        if sum(map(len, self.levels)) > sum(self.capacity(h) for h in range(len(self.levels))):
            self._condense()

    def _condense(self):
        for height, level in enumerate(self.levels):
            if len(level) >= self.capacity(height):
                if height + 1 >= len(self.levels):
                    self.levels.append([])
                    self._offsets.append(0)
                    self._compactions.append(0)
                self.levels[height + 1].extend(self._compact(height))
                return

    def _compact(self, height):
        buffer = self.levels[height]
        even = len(buffer) - len(buffer) % 2
        if self._compactions[height] % 2 == 1:
            self._offsets[height] = 1 - self._offsets[height]
        output = sorted(buffer[:even])[self._offsets[height]:even:2]
        self.levels[height] = buffer[even:]  # the odd item out, if any, stays
        self._compactions[height] += 1
        return output


def kll_buckets(values, buckets=BUCKETS):
    """Equal-width buckets between min and max, as Deequ's KLL metric draws them: each bucket
    counts lower_bound <= v < upper_bound, the last one lower_bound <= v <= upper_bound."""
    ordered = sorted(values)
    lo, hi = ordered[0], ordered[-1]
    bounds = [lo + (hi - lo) * i / buckets for i in range(buckets + 1)]
    bounds[0], bounds[-1] = lo, hi  # exact ends: the counts always add up to len(values)
    out = []
    for i in range(buckets):
        last = i == buckets - 1
        upper_rank = (bisect_right if last else bisect_left)(ordered, bounds[i + 1])
        out.append({"lower_bound": bounds[i], "upper_bound": bounds[i + 1],
                    "count": upper_rank - bisect_left(ordered, bounds[i])})
    return out


def feature_statistics(name, cells):
    """One numerical feature's entry of statistics.json, from its raw cells (missing allowed)."""
    values, types = [], set()
    for cell in cells:
        value, kind = parse_value(cell)
        if value is not None:
            values.append(value)
            types.add(kind)
    if not values:
        raise ValueError(f"feature {name}: no values to baseline")
    sketch = KLLSketch()
    for value in values:
        sketch.update(value)
    total = math.fsum(values)
    mean = total / len(values)
    return {
        "name": name,
        "inferred_type": "Integral" if types == {"Integral"} else "Fractional",
        "numerical_statistics": {
            "common": {"num_present": len(values), "num_missing": len(cells) - len(values)},
            "mean": mean,
            "sum": total,
            "std_dev": math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values)),
            "min": min(values),
            "max": max(values),
            "distribution": {"kll": {
                "buckets": kll_buckets(values),
                "sketch": {"parameters": {"c": sketch.c, "k": float(sketch.k)},
                           "data": sketch.levels},
            }},
        },
    }


def statistics_from_rows(rows, features=FEATURES):
    """statistics.json of `rows` (mappings of column name -> raw cell), over `features`."""
    rows = list(rows)
    return {
        "version": 0,
        "dataset": {"item_count": len(rows)},
        "features": [feature_statistics(name, [row.get(name) for row in rows])
                     for name in features],
    }


def constraints_from_statistics(statistics, comparison_threshold=COMPARISON_THRESHOLD):
    """constraints.json suggested from statistics.json, as Model Monitor's baselining does."""
    items = statistics["dataset"]["item_count"]
    features = []
    for feature in statistics["features"]:
        numbers = feature["numerical_statistics"]
        features.append({
            "name": feature["name"],
            "inferred_type": feature["inferred_type"],
            "completeness": numbers["common"]["num_present"] / items if items else 0.0,
            "num_constraints": {"is_non_negative": numbers["min"] >= 0},
        })
    return {
        "version": 0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",  # feature_baseline_drift_<name> metrics need this
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": comparison_threshold,
                "comparison_method": "Robust",
            },
        },
    }


def to_json(document):
    return (json.dumps(document, indent=2, allow_nan=False) + "\n").encode()


def main():
    input_uri, output_uri, params = storage.stage_env()
    text = storage.read_bytes(storage.join(input_uri, "train.csv")).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in FEATURES if f not in (reader.fieldnames or ())]
    if missing:
        raise SystemExit(f"baseline: train.csv lacks columns {missing}")
    statistics = statistics_from_rows(reader)
    threshold = float(params.get("comparison_threshold", COMPARISON_THRESHOLD))
    constraints = constraints_from_statistics(statistics, threshold)
    storage.write_bytes(storage.join(output_uri, "statistics.json"), to_json(statistics))
    storage.write_bytes(storage.join(output_uri, "constraints.json"), to_json(constraints))
    print(f"baseline: {statistics['dataset']['item_count']} rows, "
          f"{len(statistics['features'])} features -> {output_uri}")


if __name__ == "__main__":
    main()
