"""The one error type every command reports the same way: a message, a hint, and its kind.

A library call raises one of these for anything the user can act on; the command line (and only
the command line) turns it into `mlopsc: error: <message>` + `  hint: <hint>` and an exit code
chosen by its kind. Anything else that escapes is a bug in mlopsc and is reported as one.
"""

from __future__ import annotations


class MlopscError(Exception):
    """Something the user can act on, never shown as a traceback."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class InputError(MlopscError):
    """The arguments, files or folders given cannot be used; nothing was read from or written to AWS."""


class Refused(MlopscError):
    """mlopsc will not act: the credentials or region are not the environment's, or the registry's state
    forbids the change (a version not pending, a deployment running); nothing was written."""


class AwsError(MlopscError):
    """A call to AWS failed in a way mlopsc cannot fix by itself."""


class MissingDependency(MlopscError):
    """A package the command needs is not installed (boto3 without the `aws` extra). Its message
    says what is missing; the command line puts the command's name before it."""
