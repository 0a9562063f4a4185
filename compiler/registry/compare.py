"""What `mlopsc registry compare`, `registry lineage` and `registry history`'s sparkline show: the
version items the retrain pipeline and the registry function wrote (docs/registry.md, Version
fields), put side by side. Pure functions of version views (items.version_view); reading them is
store.EnvironmentRegistry's work.

A comparison's first version is its reference: each change is the later version's value minus the
first's (`compare live candidate`: how the candidate moves the metrics).
"""

from __future__ import annotations

import json
from typing import Any, Optional, TextIO

#: gate comparison -> (symbol, the direction that is better)
COMPARISONS = {"below": ("<", "lower"), "above": (">", "higher"), "at_most": ("<=", "lower"),
               "at_least": (">=", "higher")}
#: Eight heights of a terminal sparkline (Unicode block elements U+2581..U+2588).
SPARKS = "▁▂▃▄▅▆▇█"


# --------------------------------------------------------------------------- reading a version

def flat_metrics(metrics: Any) -> dict:
    """Every number of a metrics file by its dotted path, the name a gate gives it
    (`regression_metrics.mse.value`, SageMaker's evaluation.json layout; `rmse` at the top)."""
    found: dict = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            found[path] = value

    walk(metrics if isinstance(metrics, dict) else {}, "")
    return found


def gate_of(version: dict) -> list:
    """The gate the version passed (`gate`: [{metric, comparison, threshold}]); [] if it records none."""
    gate = version.get("gate")
    if not isinstance(gate, list):
        return []
    return [c for c in gate if isinstance(c, dict) and c.get("comparison") in COMPARISONS and "metric" in c]


def condition_text(condition: dict) -> str:
    return f"{COMPARISONS[condition['comparison']][0]} {_number(condition['threshold'])}"


def effective_hyperparameters(version: dict) -> tuple[dict, set]:
    """The hyper-parameters the version's training job ran with: train's own, the tuned values over
    them; and the names that were tuned."""
    own = version.get("hyperparameters") if isinstance(version.get("hyperparameters"), dict) else {}
    tuned = version.get("tuned_hyperparameters") if isinstance(version.get("tuned_hyperparameters"), dict) else {}
    return {**own, **tuned}, set(tuned)


def main_metric(versions: list[dict]) -> Optional[dict]:
    """The model's main metric: the first of the newest gate ({metric, comparison, threshold})."""
    for version in versions:
        gate = gate_of(version)
        if gate:
            return gate[0]
    return None


# --------------------------------------------------------------------------- compare

def compare(model: str, environment: str, versions: list[dict]) -> dict:
    """Versions (in the order given; the first is the reference) side by side."""
    names = [v["version"] for v in versions]
    return {
        "model": model, "environment": environment, "versions": names,
        "metrics": _metric_rows(versions),
        "images": _value_rows(versions, "runtime", lambda v: v.get("images") if isinstance(v.get("images"), dict) else {}),
        "code": _code(versions),
        "config_fingerprint": _same_or_changed([v.get("config_fingerprint") for v in versions]),
        "data": {"sources": _same_or_changed([v.get("data_source") for v in versions]),
                 "markers": _same_or_changed([_lineage(v).get("data_marker") for v in versions])},
        "hyperparameters": _hyperparameter_rows(versions),
        "baseline": _same_or_changed([v.get("baseline_uri") for v in versions]),
        "decisions": [_decision(v) for v in versions],
        "lineage": [{"version": v["version"], **_lineage(v)} for v in versions],
    }


def _metric_rows(versions: list[dict]) -> list[dict]:
    values = [flat_metrics(v.get("metrics")) for v in versions]
    gates = [{c["metric"]: c for c in gate_of(v)} for v in versions]
    # The gate's metrics first (the newest gate's order), then the others by name.
    ordered = [c["metric"] for v in reversed(versions) for c in gate_of(v)]
    ordered += sorted({name for found in values for name in found})
    rows = []
    for name in dict.fromkeys(ordered):
        row_values = [found.get(name) for found in values]
        first = row_values[0]
        conditions = [gate.get(name) for gate in gates]
        better = next((COMPARISONS[c["comparison"]][1] for c in reversed(conditions) if c), None)
        rows.append({
            "metric": name, "values": row_values,
            "changes": [None] + [_change(first, value) for value in row_values[1:]],
            "gate": [condition_text(c) if c else None for c in conditions],
            "better": better,
        })
    return rows


def _change(first: Any, value: Any) -> Optional[dict]:
    if not isinstance(first, (int, float)) or not isinstance(value, (int, float)):
        return None
    change = {"absolute": _round(value - first)}
    if first:
        change["percent"] = _round(100.0 * (value - first) / abs(first))
    return change


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _value_rows(versions: list[dict], label: str, values_of) -> list[dict]:
    found = [values_of(v) for v in versions]
    keys = sorted({key for one in found for key in one})
    return [{label: key, "values": [one.get(key) for one in found], "changed": len({one.get(key) for one in found}) > 1}
            for key in keys]


def _same_or_changed(values: list) -> dict:
    return {"values": values, "changed": len(set(values)) > 1}


def _code(versions: list[dict]) -> dict:
    commits = [v.get("code_commit") for v in versions]
    first, last = commits[0], commits[-1]
    changed = len(set(commits)) > 1
    # The range git reads (`git log FIRST..LAST`: the commits of the last version not in the first).
    commit_range = f"{first}..{last}" if changed and first and last and first != last else None
    return {"commits": commits, "range": commit_range, "changed": changed}


def _hyperparameter_rows(versions: list[dict]) -> list[dict]:
    found = [effective_hyperparameters(v) for v in versions]
    names = sorted({name for values, _ in found for name in values})
    return [{"name": name, "values": [values.get(name) for values, _ in found],
             "tuned": [name in tuned for _, tuned in found],
             "changed": len({json.dumps(values.get(name)) for values, _ in found}) > 1}
            for name in names]


def _decision(version: dict) -> dict:
    approval = version.get("approval")
    prefix = "rejected" if approval == "rejected" else "approved"
    return {"version": version["version"], "approval": approval, "by": version.get(f"{prefix}_by"),
            "at": version.get(f"{prefix}_at"), "reason": version.get("reason"),
            "deployment": version.get("deployment_status"), "promoted_from": version.get("promoted_from")}


def _lineage(version: dict) -> dict:
    return version.get("lineage") if isinstance(version.get("lineage"), dict) else {}


# --------------------------------------------------------------------------- compare: text, markdown

def sections(result: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """The comparison as (title, header, rows) tables, the same for text and markdown."""
    names = result["versions"]
    metrics = [[row["metric"]] + [_metric_cell(value, change) for value, change in zip(row["values"], row["changes"])]
               + [" / ".join(dict.fromkeys(g for g in row["gate"] if g)) or "-"] for row in result["metrics"]]
    images = [[row["runtime"]] + [_image(value) for value in row["values"]] + [_changed(row["changed"])]
              for row in result["images"]]
    hyperparameters = [[row["name"]] + [_cell(value) + (" (tuned)" if tuned else "")
                                        for value, tuned in zip(row["values"], row["tuned"])]
                       + [_changed(row["changed"])] for row in result["hyperparameters"]]
    code = result["code"]
    data = result["data"]
    commit_range = "..".join(_short(c) for c in code["range"].split("..")) if code["range"] else None
    facts = [["code commit"] + [_short(c) for c in code["commits"]] + [commit_range or _changed(code["changed"])],
             ["config fingerprint"] + [_short(f) for f in result["config_fingerprint"]["values"]]
             + [_changed(result["config_fingerprint"]["changed"])],
             ["data source"] + [_cell(s) for s in data["sources"]["values"]] + [_changed(data["sources"]["changed"])],
             ["data marker"] + [_cell(m) for m in data["markers"]["values"]] + [_changed(data["markers"]["changed"])],
             ["baseline"] + [_cell(b) for b in result["baseline"]["values"]] + [_changed(result["baseline"]["changed"])],
             ["trigger"] + [_cell(entry.get("trigger")) for entry in result["lineage"]] + [""],
             ["parent"] + [_parent(entry) for entry in result["lineage"]] + [""]]
    decisions = [[d["version"], _cell(d["approval"]), _cell(d["by"]), _when(d["at"]), _cell(d["reason"]),
                  _cell(d["deployment"])] for d in result["decisions"]]
    header = [""] + names
    return [("metrics", ["metric"] + names + ["gate"], metrics),
            ("images", ["runtime"] + names + ["digest"], images),
            ("hyper-parameters", ["name"] + names + ["values"], hyperparameters),
            ("code, data and lineage", header + ["change"], facts),
            ("decisions", ["version", "approval", "by", "at", "reason", "deployment"], decisions)]


def text(result: dict, out: TextIO) -> None:
    out.write(f"{result['model']} ({result['environment']}): " + " -> ".join(result["versions"]) + "\n")
    for title, header, rows in sections(result):
        out.write(f"  {title}:\n")
        if not rows:
            out.write("    none\n")
            continue
        widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
        for line in [[h.upper() for h in header]] + rows:
            out.write(("    " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths))).rstrip() + "\n")


def markdown(result: dict, out: TextIO) -> None:
    """GitHub-flavoured markdown: fits a pull request or an approval request."""
    out.write(f"### {result['model']} ({result['environment']}): "
              + " → ".join(f"`{name}`" for name in result["versions"]) + "\n")
    for title, header, rows in sections(result):
        out.write(f"\n**{title}**\n\n")
        if not rows:
            out.write("none\n")
            continue
        out.write("| " + " | ".join(_md(h) for h in header) + " |\n")
        out.write("|" + "---|" * len(header) + "\n")
        for row in rows:
            out.write("| " + " | ".join(_md(cell) for cell in row) + " |\n")


def as_json(result: dict, out: TextIO) -> None:
    out.write(json.dumps(result, indent=2, sort_keys=True) + "\n")


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _metric_cell(value: Any, change: Optional[dict]) -> str:
    if value is None:
        return "-"
    if not change:
        return _number(value)
    percent = f", {change['percent']:+.1f}%" if "percent" in change else ""
    return f"{_number(value)} ({change['absolute']:+g}{percent})"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _cell(value: Any) -> str:
    return "-" if value is None or value == "" else _number(value)


def _changed(changed: bool) -> str:
    return "changed" if changed else "same"


def _short(value: Optional[str]) -> str:
    return value[:12] if value else "-"


def _image(uri: Optional[str]) -> str:
    """An image as `name@sha256:<12 hex>` (the registry host is the same for all of a model's)."""
    if not uri:
        return "-"
    name = uri.rsplit("/", 1)[-1]
    if "@sha256:" in name:
        repository, digest = name.split("@sha256:", 1)
        return f"{repository}@sha256:{digest[:12]}"
    return name


def _parent(entry: dict) -> str:
    parent = entry.get("parent_version")
    return f"{parent} ({entry.get('parent_relation', '?')})" if parent else "-"


# --------------------------------------------------------------------------- lineage

def lineage_text(result: dict, out: TextIO) -> None:
    out.write(f"{result['model']} ({result['environment']}): lineage of {result['version']}, newest first\n")
    for index, step in enumerate(result["chain"]):
        where = f" [{step['environment']}]" if step["environment"] != result["environment"] else ""
        out.write(f"  {step['version']}{where}  registered {_when(step.get('registered_at'))}, "
                  f"trigger {step.get('trigger') or '-'}, {step.get('approval') or '-'}\n")
        facts = [("execution", step.get("execution")), ("data", _data(step)),
                 ("code commit", step.get("code_commit")), ("config", step.get("config_fingerprint")),
                 ("drift alarm", step.get("drift_alarm")), ("promoted from", step.get("promoted_from"))]
        for label, value in facts:
            if value:
                out.write(f"      {label + ':':<15}{value}\n")
        for runtime, uri in sorted((step.get("images") or {}).items()):
            out.write(f"      {'image ' + runtime + ':':<15}{uri}\n")
        if step.get("parent_version"):
            relation = {"warm_start": "warm-started from the tuning job of",
                        "retrained_on_drift": "retrained on drift of"}.get(step.get("parent_relation"),
                                                                           step.get("parent_relation") or "from")
            if step.get("trigger") == "drift" and step.get("parent_relation") == "warm_start":
                relation = "retrained on drift; " + relation
            job = f" ({step['parent_tuning_job']})" if step.get("parent_tuning_job") else ""
            out.write(f"    ^ {relation} {step['parent_version']}{job}\n")
    if result.get("end"):
        out.write(f"  ({result['end']})\n")


def _data(step: dict) -> Optional[str]:
    if not step.get("data_source"):
        return None
    return step["data_source"] + (f" (marker {step['data_marker']})" if step.get("data_marker") else "")


def _when(value: Any) -> str:
    return value.replace("T", " ")[:19] if isinstance(value, str) else "-"


def lineage_step(version: dict) -> dict:
    """One version of a lineage chain: what it records of where it came from."""
    keys = ("version", "environment", "approval", "registered_at", "execution", "data_source", "images",
            "code_commit", "config_fingerprint", "model_data", "promoted_from")
    return {**{key: version.get(key) for key in keys if version.get(key) is not None}, **_lineage(version)}


# --------------------------------------------------------------------------- sparkline

def sparkline(values: list) -> str:
    """Values as block characters, lowest to highest (a flat series draws its middle height)."""
    numbers = [v for v in values if isinstance(v, (int, float))]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    top = len(SPARKS) - 1

    def spark(value: Any) -> str:
        if not isinstance(value, (int, float)):
            return " "
        if high == low:
            return SPARKS[top // 2]
        return SPARKS[round((value - low) / (high - low) * top)]

    return "".join(spark(v) for v in values)


def metric_trend(versions: list[dict]) -> Optional[dict]:
    """The main metric over versions (`versions` newest first, as registered), oldest first:
    {metric, gate, better, points: [{version, value}], sparkline}; None without a gate."""
    condition = main_metric(versions)
    if condition is None:
        return None
    points = [{"version": v["version"], "value": flat_metrics(v.get("metrics")).get(condition["metric"])}
              for v in reversed(versions)]
    return {"metric": condition["metric"], "gate": condition_text(condition),
            "better": COMPARISONS[condition["comparison"]][1], "points": points,
            "sparkline": sparkline([p["value"] for p in points])}
