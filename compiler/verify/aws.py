"""What a Task's result holds: the response shapes in aws_shapes.json (see generate_shapes.py),
turned into abstract values on first use."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from compiler.verify.values import MAYBE, SCALAR, UNKNOWN, YES, Arr, Obj

DATA = Path(__file__).with_name("aws_shapes.json")
_SERVICE_INTEGRATION = re.compile(r"^arn:[a-z-]+:states:::(.+)$")


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def integration(resource: str):
    """'arn:aws:states:::dynamodb:getItem' -> 'dynamodb:getItem'; None for a Lambda ARN, an activity, ..."""
    match = _SERVICE_INTEGRATION.match(resource) if isinstance(resource, str) else None
    return match.group(1) if match else None


def known(name: str) -> bool:
    return name in _data()["integrations"]


def result(name: str):
    """The abstract result of an integration in the data file; UNKNOWN for any other
    (.waitForTaskToken: whatever the worker sends back)."""
    ref = _data()["integrations"].get(name)
    return UNKNOWN if ref is None else _value(ref, ())


_cache: dict = {}


def _value(ref: str, stack: tuple):
    if ref in _cache:
        return _cache[ref]
    if ref in stack:  # a recursive shape: below the recursion, anything
        return UNKNOWN
    node = _data()["shapes"][ref]
    stack = stack + (ref,)
    if node == "s":
        value = SCALAR
    elif node == "?":
        value = UNKNOWN
    elif "o" in node:
        required = set(node["r"])
        value = Obj({member: (YES if member in required else MAYBE, _value(child, stack))
                     for member, child in node["o"].items()})
    elif "a" in node:
        value = Arr(_value(node["a"], stack))
    else:  # a map: its keys are not known, so each read needs an IsPresent guard
        value = Obj({}, MAYBE, _value(node["m"], stack))
    _cache[ref] = value
    return value
