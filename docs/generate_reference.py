"""Write docs/config-reference.md from the config schema, so the reference cannot drift.

    python docs/generate_reference.py          # rewrite the file
    python docs/generate_reference.py --check  # exit 1 if it is stale (the tests run this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from compiler import package_data
from generated_page import write_or_check

TARGET = Path(__file__).with_name("config-reference.md")
SECTIONS = [
    ("Top level", None), ("model", "model"), ("platform", "platform"), ("environments.<name>", "overlay"),
    ("runtimes.<name>", "runtime"), ("build", "build"), ("Stage settings (stage_defaults, every stage, batch)", "stage_settings"),
    ("retry", "retry"), ("pipelines", "pipelines"), ("pipelines.retrain", "retrain"),
    ("Retrain stage graph (every retrain stage, plus the stage settings)", "retrain_stage_settings"),
    ("pipelines.retrain.stages.<your stage> (plus the stage graph keys and the stage settings)", "custom_stage"),
    ("inputs.<name> (a retrain stage's input)", "stage_input"), ("outputs.<name> (a retrain stage's output)", "stage_output"),
    ("metrics (where the gate reads its metrics)", "gate_metrics"),
    ("pipelines.retrain.stages.train (plus the stage settings)", "train_stage"),
    ("pipelines.retrain.stages.tune (plus the stage settings)", "tune_stage"),
    ("tune.objective (the tune stage's, or a tuning stage of your own)", "tune_objective"),
    ("tune.warm_start", "tune_warm_start"), ("tune parameter", "tune_parameter"),
    ("pipelines.retrain.stages.evaluate (plus the stage settings)", "evaluate_stage"),
    ("gate condition", "gate_condition"), ("pipelines.deploy", "deploy"), ("deploy.endpoint", "endpoint"),
    ("deploy.function", "function"), ("deploy.service", "service"), ("deploy.traffic", "traffic"),
    ("deploy.poll", "poll"), ("pipelines.batch (plus the stage settings)", "batch"),
    ("monitor", "monitor"), ("monitor.capture", "monitor_capture"), ("monitor.drift", "monitor_drift"),
    ("monitor.health", "monitor_health"),
]


def _type(spec: dict, schema: dict) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        target = package_data.resolve_ref(spec["$ref"])
        return _type({**target, **{k: v for k, v in spec.items() if k != "$ref"}}, schema) if "type" in target or "enum" in target else name
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    if "const" in spec:
        return f"`{spec['const']}`"
    kind = spec.get("type", "")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _row(key: str, spec: dict, required: set, schema: dict) -> str:
    target = package_data.resolve_ref(spec["$ref"]) if "$ref" in spec else {}
    text = spec.get("description") or target.get("description") or spec.get("x-hint") or target.get("x-hint") or ""
    default = spec.get("default", target.get("default"))
    return (f"| `{key}` | {_type(spec, schema)} | {'yes' if key in required else ''} | "
            f"{'' if default is None else '`' + json.dumps(default) + '`'} | {text.replace('|', '/')} |")


def _section(title: str, node: dict, schema: dict) -> list:
    """A table of the node's keys, then one section per key that is a map written inline
    (retrain.data, retrain.triggers, ...); maps defined in $defs have sections of their own."""
    lines = [f"## {title}", ""]
    if node.get("description"):
        lines += [node["description"], ""]
    lines += ["| key | type | required | default | meaning |", "|---|---|---|---|---|"]
    required = set(node.get("required", ()))
    properties = node.get("properties", {})
    lines += [_row(key, spec, required, schema) for key, spec in properties.items()]
    lines.append("")
    for key, spec in properties.items():
        if "properties" in spec:
            lines += _section(f"{title.split(' (')[0]}.{key}", spec, schema)
    return lines


def reference() -> str:
    schema = package_data.schema()
    lines = ["# mlops.yaml reference (config v1)", "",
             "Generated from `schemas/config-v1.schema.json` by `docs/generate_reference.py`; do not edit.",
             "Cross-field rules (Fargate pairs, ARNs, schedules, ...) are checked by [the rules](rules.md), "
             "described in [the config language](config.md).", ""]
    for title, name in SECTIONS:
        lines += _section(title, schema if name is None else schema["$defs"][name], schema)
    return "\n".join(lines)


def main() -> int:
    return write_or_check(TARGET, reference(), "generate_reference.py")
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
