"""Whether data certainly conforms to the config schema, answered without jsonschema.

Importing jsonschema costs about 85 ms of CPU per process (attrs, referencing, its format
checkers), a third of a one-model compile, and data that conforms gets no finding from the schema
pass anyway. So compiler.checks.schema asks this first and builds jsonschema's validator only when
the answer is not a sure yes; the findings people read always come from jsonschema.

It knows the keywords the schema uses, with JSON Schema 2020-12's meaning as jsonschema applies
them. A keyword it does not know, or a value it cannot judge for sure, makes it answer False
("not sure"): it may send conforming data to jsonschema, never the reverse.
tests/checks/test_schema_conforms.py compares it with jsonschema on hypothesis' configs.
"""

from __future__ import annotations

import functools
import re

from compiler import package_data

#: Keywords that assert nothing.
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
                          "x-hint"})
_ASSERTIONS = frozenset({"type", "$ref", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                         "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems", "uniqueItems",
                         "required", "properties", "patternProperties", "additionalProperties",
                         "unevaluatedProperties", "propertyNames", "minProperties", "maxProperties"})
_KNOWN = _ANNOTATIONS | _ASSERTIONS


class _Unsure(Exception):
    """A keyword or a value this module does not judge: jsonschema will."""


def conforms(data) -> bool:
    """True only if `data` is valid against the config schema (jsonschema would report nothing)."""
    try:
        return _valid(data, package_data.schema())
    except _Unsure:
        return False


def _valid(instance, schema) -> bool:
    if isinstance(schema, bool):
        return schema
    if not _KNOWN.issuperset(schema):
        raise _Unsure(sorted(set(schema) - _KNOWN))
    if "type" in schema and not _has_type(instance, schema["type"]):
        return False
    if "$ref" in schema and not _valid(instance, _resolve(schema["$ref"])):
        return False
    if "enum" in schema and not any(_equal(instance, option) for option in schema["enum"]):
        return False
    if "const" in schema and not _equal(instance, schema["const"]):
        return False
    if isinstance(instance, str):
        return _valid_string(instance, schema)
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        return _valid_number(instance, schema)
    if isinstance(instance, list):
        return _valid_list(instance, schema)
    if isinstance(instance, dict):
        return _valid_map(instance, schema)
    return True


_TYPES = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    # jsonschema: an int, or a float without a fractional part (1.0)
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _has_type(instance, wanted) -> bool:
    return any(_TYPES[name](instance) for name in (wanted if isinstance(wanted, list) else [wanted]))


def _equal(value, option) -> bool:
    """jsonschema's equality where it is plain: strings, booleans, null and numbers (true is not 1)."""
    if isinstance(value, (str, bool, type(None))) or isinstance(option, (str, bool, type(None))):
        return type(value) is type(option) and value == option
    if isinstance(value, (int, float)) and isinstance(option, (int, float)):
        return value == option
    raise _Unsure("equality of lists or maps")


def _valid_string(text: str, schema: dict) -> bool:
    # The comparisons are jsonschema's own (a failing one is `len(instance) < minLength`, ...).
    if "minLength" in schema and len(text) < schema["minLength"]:
        return False
    if "maxLength" in schema and len(text) > schema["maxLength"]:
        return False
    return "pattern" not in schema or _regex(schema["pattern"]).search(text) is not None


def _valid_number(number, schema: dict) -> bool:
    failed = (("minimum" in schema and number < schema["minimum"])
              or ("maximum" in schema and number > schema["maximum"])
              or ("exclusiveMinimum" in schema and number <= schema["exclusiveMinimum"])
              or ("exclusiveMaximum" in schema and number >= schema["exclusiveMaximum"]))
    return not failed


def _valid_list(items: list, schema: dict) -> bool:
    if "minItems" in schema and len(items) < schema["minItems"]:
        return False
    if "maxItems" in schema and len(items) > schema["maxItems"]:
        return False
    if schema.get("uniqueItems") is True:
        if not all(isinstance(item, str) for item in items):
            raise _Unsure("uniqueness of items other than strings")
        if len(set(items)) != len(items):
            return False
    return "items" not in schema or all(_valid(item, schema["items"]) for item in items)


def _valid_map(mapping: dict, schema: dict) -> bool:
    if any(key not in mapping for key in schema.get("required", ())):
        return False
    if "minProperties" in schema and len(mapping) < schema["minProperties"]:
        return False
    if "maxProperties" in schema and len(mapping) > schema["maxProperties"]:
        return False
    if "propertyNames" in schema and not all(_valid(key, schema["propertyNames"]) for key in mapping):
        return False
    properties, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    for key, value in mapping.items():
        matched = key in properties
        if matched and not _valid(value, properties[key]):
            return False
        for pattern, subschema in patterns.items():
            if _regex(pattern).search(key):
                matched = True
                if not _valid(value, subschema):
                    return False
        if not matched and "additionalProperties" in schema and not _valid(value, schema["additionalProperties"]):
            return False
    if "unevaluatedProperties" in schema:
        evaluated = _evaluated_names(schema)
        return all(_valid(value, schema["unevaluatedProperties"]) for key, value in mapping.items()
                   if key not in evaluated)
    return True


def _evaluated_names(schema: dict) -> frozenset:
    """Keys of a valid map that `unevaluatedProperties` does not see: those its `properties` name,
    here and through `$ref` (the only in-place applicator the schema uses)."""
    names = set()
    while True:
        if "patternProperties" in schema or "additionalProperties" in schema:
            raise _Unsure("unevaluatedProperties beside patternProperties or additionalProperties")
        names.update(schema.get("properties", ()))
        if "$ref" not in schema:
            return frozenset(names)
        schema = _resolve(schema["$ref"])


def _resolve(ref: str) -> dict:
    if not ref.startswith("#/"):
        raise _Unsure(f"$ref {ref}")
    return package_data.resolve_ref(ref)


@functools.lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)  # jsonschema: re.search(pattern, instance)
