"""The one place that turns what a command did into a message and an exit code (black's
`Report.return_code`): commands return an exit code, or raise.

- `compiler.errors.InputError` -> 2: the arguments, files or folders cannot be used;
- any other `compiler.errors.MlopscError` (Refused, AwsError, ...) -> 1;
- `verify.UnprovenDefinition` -> 70: mlopsc rendered a state machine it cannot prove, a bug;
- anything else -> 70, "internal error" (MLOPSC_DEBUG=1 prints the traceback).

Errors are printed on stderr as `mlopsc: error: <message>` and `  hint: <hint>`.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Optional, TextIO

import click

from compiler import errors

EXIT_OK = 0
#: Invalid input, a refusal or an AWS failure, stale output (`compile --check`), changes (`diff`).
EXIT_FAILED = 1
EXIT_USAGE = 2
#: A bug in mlopsc (EX_SOFTWARE from sysexits.h).
EXIT_BUG = 70


def exit_code(problems) -> int:
    """Problems in the configs (validate, compile, and every command that compiles): 1, else 0."""
    return EXIT_FAILED if problems else EXIT_OK


def code_of(error: BaseException) -> int:
    if isinstance(error, errors.InputError):
        return EXIT_USAGE
    if isinstance(error, errors.MlopscError):
        return EXIT_FAILED
    return EXIT_BUG


class CommandGroup(click.Group):
    """A group whose commands return their exit code (None: 0) or raise, and this module says what
    that means to the user, for the console script and CliRunner alike. Nested groups (registry,
    bootstrap) are CommandGroups too, so the innermost one knows the whole command's name."""

    def invoke(self, ctx: click.Context):
        try:
            code = super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: usage errors (exit 2), --help, --version, ^C
        except Exception as error:  # noqa: BLE001 - every error becomes a message; a bug is reported as one
            code = report(error, sys.stderr, command=f"{ctx.command_path} {ctx.invoked_subcommand}")
        ctx.exit(code or EXIT_OK)


def report(error: BaseException, stream: TextIO, command: Optional[str] = None) -> int:
    """Print `error` as the user should read it; return its exit code. `command` ("mlopsc registry
    list") names the command that ran, where the message needs it."""
    if _is_unproven(error):
        return report_unproven(error, stream)
    code = code_of(error)
    if code == EXIT_BUG:
        if os.environ.get("MLOPSC_DEBUG"):
            traceback.print_exception(type(error), error, error.__traceback__, file=stream)
        stream.write(f"mlopsc: internal error ({type(error).__name__}): this is a bug in mlopsc, please report it; "
                     "set MLOPSC_DEBUG=1 to see the traceback\n")
        return code
    hint = getattr(error, "hint", "")
    message = f"{command} {error}" if isinstance(error, errors.MissingDependency) and command else str(error)
    stream.write(f"mlopsc: error: {message}\n" + (f"  hint: {hint}\n" if hint else ""))
    return code


def _is_unproven(error: BaseException) -> bool:
    verify = sys.modules.get("compiler.verify")
    return verify is not None and isinstance(error, verify.UnprovenDefinition)


def report_unproven(error, stream: TextIO, prefix: str = "") -> int:
    """A state machine mlopsc rendered that `verify` cannot prove (any command that compiles): a bug.
    `prefix` (compile: OUT/) is where the files would have been written."""
    from compiler.problems import one_line

    for finding in error.findings:
        stream.write(one_line(f"{prefix}{finding.text()}") + "\n")
    stream.write(f"mlopsc: internal error: {len(error.findings)} read(s) in the state machines above are not proven "
                 "on every route (mlopsc verify); this is a bug in mlopsc, please report it; nothing was written\n")
    return EXIT_BUG
