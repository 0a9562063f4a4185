"""What apply reports instead of a traceback: a message and a hint, by kind (the kind picks the exit code)."""

from __future__ import annotations


class ApplyError(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


class ApplyInputError(ApplyError):
    """OUT, images.json or the flags cannot be applied (exit 2, before any AWS call)."""


class Refused(ApplyError):
    """The credentials or region are not the environment's (exit 1, nothing written)."""


class AwsError(ApplyError):
    """A call to AWS failed in a way apply cannot fix by itself (exit 1)."""
