"""What every planner of apply shares: the Change it plans, and reading AWS state that may be absent."""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping, Optional


@dataclasses.dataclass
class Change:
    kind: str  # "task definition", "pointers", "alarm", "dashboard", "state machine", "rule", "run"
    name: str
    action: str  # create, update, delete, unchanged, start, kept, skip
    details: tuple = ()
    write: Optional[Callable[[], None]] = None  # None: nothing to do

    @property
    def pending(self) -> bool:
        return self.write is not None


def error_code(error) -> str:
    return error.response.get("Error", {}).get("Code", "")


def or_none(call: Callable, *missing: str):
    """The call's result, or None when AWS answers that the resource does not exist."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as error:
        if error_code(error) in missing:
            return None
        raise


def owner_tags(model: str, environment: str) -> dict:
    """The tags that say a resource is this model environment's (apply deletes nothing without them)."""
    return {"mlops:model": model, "mlops:environment": environment}


def owned(tags: Mapping[str, str], model: str, environment: str) -> bool:
    return all(tags.get(key) == value for key, value in owner_tags(model, environment).items())


def tag_map(tags: list, key: str = "Key", value: str = "Value") -> dict:
    """AWS's [{"Key": k, "Value": v}] as {k: v}."""
    return {tag[key]: tag[value] for tag in tags}
