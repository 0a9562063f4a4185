"""The execution input of mlopsc's own pipelines, and JSON Schemas as abstract values.

Who starts an execution, and with what (keep in step with them):
- EventBridge rules (compiler/render/triggers.py): retrain {"trigger": "schedule"},
  {"trigger": "new_data", "bucket", "key"}, {"trigger": "drift", "alarm"}; batch and drift
  {"trigger": "schedule"}; deploy {"trigger": "approval", "version"} (the registry's
  ModelRegistered/ModelApproved events, compiler/registry, reach it through that rule);
- `mlopsc apply`'s on-commit run (compiler/apply/resources.py): retrain {"trigger": "commit", "commit"};
- `mlopsc run` (compiler/runs): {"trigger": "manual"} by default, else the user's --input object.
Every member is optional: `mlopsc run --input` sends the user's object as it is (it may lack
`trigger`), and a member not listed may come with it too, so reading any of them needs a guard."""

from __future__ import annotations

from compiler.verify.values import MAYBE, SCALAR, UNKNOWN, YES, Arr, Obj

_STRING = {"type": "string"}
TRIGGERS = {
    "retrain": ["schedule", "new_data", "drift", "commit", "manual"],
    "deploy": ["approval", "manual"],
    "batch": ["schedule", "manual"],
    "drift": ["schedule", "manual"],
}
OPTIONAL_MEMBERS = {
    "retrain": ["bucket", "key", "alarm", "commit"],
    "deploy": ["version"],
    "batch": [],
    "drift": [],
}


def pipeline_input(pipeline: str) -> dict:
    """The JSON Schema of the execution input of one of mlopsc's pipelines."""
    properties = {"trigger": {"type": "string", "enum": TRIGGERS[pipeline]}}
    properties.update({name: _STRING for name in OPTIONAL_MEMBERS[pipeline]})
    return {"type": "object", "properties": properties, "required": []}


PIPELINES = tuple(TRIGGERS)


def from_schema(schema) -> object:
    """A JSON Schema (properties, required, additionalProperties, items, minItems) as an abstract
    value: a required property is present, any other only maybe."""
    if not isinstance(schema, dict):
        return UNKNOWN
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required") or [])
        members = {name: (YES if name in required else MAYBE, from_schema(sub))
                   for name, sub in (schema.get("properties") or {}).items()}
        extra = schema.get("additionalProperties", True)
        rest = "absent" if extra is False else MAYBE
        return Obj(members, rest, from_schema(extra) if isinstance(extra, dict) else UNKNOWN)
    if kind == "array":
        return Arr(from_schema(schema.get("items")), nonempty=(schema.get("minItems") or 0) >= 1)
    if kind in ("string", "number", "integer", "boolean", "null"):
        return SCALAR
    return UNKNOWN


def unknown_input():
    """Any other ASL file: the execution input's members are not known, and reading them is allowed."""
    return UNKNOWN
