"""The structural pass: JSON Schema errors turned into findings people can act on."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Iterator

from compiler import package_data
from compiler.checks import schema_conforms
from compiler.checks.finding import Finding, did_you_mean, is_sensitive
from compiler.stage_graph import WELL_KNOWN_KINDS

if TYPE_CHECKING:
    import jsonschema

RULE = "schema"
DESCRIPTION = "The config matches the config language's JSON Schema (keys, types, values)"
_TYPE_NAMES = {"object": "a map", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "empty"}


@functools.lru_cache(maxsize=None)
def _validator() -> jsonschema.protocols.Validator:
    """Built once per process, and imported only here: most processes never need it (see check)."""
    import jsonschema

    return jsonschema.Draft202012Validator(package_data.schema())


def check(data: dict) -> Iterator[Finding]:
    if schema_conforms.conforms(data):
        return  # nothing to report: jsonschema's import (about 85 ms) is not paid
    for error in _validator().iter_errors(data):
        yield from _findings(error)


def _findings(error) -> Iterator[Finding]:
    path = tuple(error.absolute_path)
    kind = error.validator
    if "propertyNames" in error.schema_path:
        yield _bad_key_name(error, path)
    elif kind in ("additionalProperties", "unevaluatedProperties"):
        yield from _unknown_keys(error, path)
    elif kind == "required":
        yield from _missing_keys(error, path)
    else:
        yield Finding(path, _message(error, path), _hint(error, path), RULE)


def _unknown_keys(error, path: tuple) -> Iterator[Finding]:
    known = _known_keys(error.schema)
    for key in sorted(set(error.instance) - known):
        hint = did_you_mean(key, known)
        if len(path) == 2 and path[0] == "environments":
            hint = hint or "an environment overlay may set only platform, stage_defaults, pipelines and build"
            if key in ("model", "runtimes"):
                hint = f"'{key}' is the same in every environment: set it once at the top level"
        if not hint:
            hint = "allowed keys here: " + ", ".join(sorted(known))
        yield Finding(path + (key,), f"unknown key '{key}'", hint, RULE, at_key=True)


#: Where the retrain stages are: a stage of another name is one of the model's own (the stage graph).
_RETRAIN_STAGES = ("pipelines", "retrain", "stages")


def _missing_keys(error, path: tuple) -> Iterator[Finding]:
    if path[:-1] == _RETRAIN_STAGES and path[-1] not in WELL_KNOWN_KINDS and isinstance(error.instance, dict) \
            and "kind" not in error.instance:
        yield _unknown_stage(path)  # most often a misspelt well-known stage: say so once
        return
    for key in error.validator_value:
        if isinstance(error.instance, dict) and key not in error.instance:
            described = error.schema.get("properties", {}).get(key, {}).get("description", "")
            yield Finding(path + (key,), f"missing required key '{key}'", described, RULE,
                          at_key=True, anchor=path)


def _unknown_stage(path: tuple) -> Finding:
    """A retrain stage that is neither well-known nor says its `kind`."""
    name = path[-1]
    hint = did_you_mean(name, WELL_KNOWN_KINDS) or (
        f"the stages are {', '.join(WELL_KNOWN_KINDS)}; a stage of your own says its `kind` (processing, "
        "training, tuning or evaluate) and the stages it runs `after`")
    return Finding(path, f"unknown stage '{name}'", hint, RULE, at_key=True)


def _bad_key_name(error, path: tuple) -> Finding:
    key = error.instance
    return Finding(path + (key,), f"'{key}' is not a valid name here", _hint(error, path), RULE, at_key=True)


def _message(error, path: tuple) -> str:
    kind, expected, value = error.validator, error.validator_value, error.instance
    shown = _show(value, path)
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        return f"must be {' or '.join(_TYPE_NAMES[t] for t in wanted)}, got {_type_name(value)}"
    if kind == "enum":
        return f"must be one of {', '.join(map(str, expected))}; got {shown}"
    if kind == "const":
        return f"must be {expected}, got {shown}"
    if kind == "pattern":
        return f"{shown} is not in the expected form"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be {'at least' if kind == 'minimum' else 'more than'} {expected}, got {shown}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be {'at most' if kind == 'maximum' else 'less than'} {expected}, got {shown}"
    if kind == "minItems":
        return f"must list at least {expected} item{'s' if expected != 1 else ''}"
    if kind == "maxItems":
        return f"must list at most {expected} items"
    if kind == "uniqueItems":
        return "must not list the same item twice"
    if kind == "minProperties":
        return "must not be empty"
    if kind == "maxProperties":
        return f"must have at most {expected} entries"
    if kind == "minLength":
        return "must not be empty"
    if kind == "maxLength":
        return f"must be at most {expected} characters long"
    return error.message if not is_sensitive(path) else f"is not valid ({kind})"


def _hint(error, path: tuple) -> str:
    kind, value = error.validator, error.instance
    if kind == "enum":
        return did_you_mean(value, error.validator_value) or ""
    if kind == "type":
        wanted = error.validator_value
        if value is None:
            return "the value is empty: give one, or remove the key"
        if wanted == "string" and isinstance(value, (bool, int, float)):
            return "quote the value so YAML reads it as text (YAML reads yes/no/on/off as booleans)"
        if wanted == "object" and isinstance(value, list):
            return "write `key: value` pairs, not a list (`- item`)"
    if kind == "const" and path == ("version",):
        return "only version 1 of the config language exists"
    return error.schema.get("x-hint", "")


def _known_keys(schema: dict) -> set:
    """Keys a map schema allows, following `$ref` (stages inherit the stage settings)."""
    keys = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if ref:
        keys |= _known_keys(package_data.resolve_ref(ref))
    return keys


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def _show(value, path: tuple) -> str:
    if is_sensitive(path):
        return "the value"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
