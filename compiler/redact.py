"""Hide, for display, the values a user may have put a secret in: `diff` and the `apply` plan
say that such a value changed, and show a fingerprint of it, never the value.

Where such values land in compiled files: an `Environment` (ASL parameters of SageMaker, ECS
container overrides and task definitions as `[{Name, Value}]`, a SageMaker model, a Lambda
function's `Environment.Variables`), a task definition's `environment`, and `--build-arg NAME=VALUE`
in a buildspec command; a Lambda deploy also keeps its own `Variables` in a Pass state before
merging them over the function's. The variables mlopsc sets itself (MLOPS_*, and `.$` paths it computes)
stay readable: they say where data goes, which a reviewer must see.

The fingerprint is an HMAC-SHA256, not a plain hash: a plain hash of a short secret ("hunter2")
is reversed by trying a dictionary. Its key is MLOPSC_FINGERPRINT_KEY when set (a CI secret, to
compare fingerprints across runs); otherwise a random key of this process, so fingerprints can be
compared within one output only (the same value shows the same fingerprint there).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
from typing import Any

FINGERPRINT_KEY_VARIABLE = "MLOPSC_FINGERPRINT_KEY"
_CONTAINERS = frozenset({"Environment", "environment", "Variables"})
_BUILD_ARG = re.compile(r"(--build-arg[ =]['\"]?[A-Za-z_][A-Za-z0-9_]*=)('[^']*'|\"[^\"]*\"|\S*)")


def for_display(tree: Any) -> Any:
    """A copy of `tree` (parsed JSON/YAML) with every user environment value and build arg value
    replaced by `hidden(value)`."""
    if isinstance(tree, dict):
        return {key: _container(value) if key in _CONTAINERS else for_display(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [for_display(item) for item in tree]
    if isinstance(tree, str):
        return _BUILD_ARG.sub(lambda match: match[1] + hidden(match[2]), tree)
    return tree


def hidden(value: Any) -> str:
    """`<hidden 1a2b3c4d>`: 8 hex of the keyed fingerprint of the value."""
    digest = hmac.new(_key(), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"<hidden {digest[:8]}>"


def _container(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Variables"}:  # Lambda: Environment.Variables
            return {"Variables": _container(value["Variables"])}
        return {name: hidden(item) if _users(name) else item for name, item in value.items()}
    if isinstance(value, list):
        return [_entry(item) for item in value]
    return for_display(value)


def _entry(item: Any) -> Any:
    """One `{Name, Value}` (ASL, CloudFormation) or `{name, value}` (ECS API) entry."""
    if not isinstance(item, dict):
        return for_display(item)
    name = item.get("Name", item.get("name"))
    return {key: hidden(value) if key in ("Value", "value") and _users(name) else value
            for key, value in item.items()}


def _users(name: Any) -> bool:
    """A variable the user set: not one of the stage contract's, not a path mlopsc computes."""
    return isinstance(name, str) and not name.startswith("MLOPS_") and not name.endswith(".$")


@functools.lru_cache(maxsize=None)
def _key() -> bytes:
    configured = os.environ.get(FINGERPRINT_KEY_VARIABLE, "")
    return configured.encode("utf-8") if configured else secrets.token_bytes(32)
