"""The `mlopsc` command line: options in, one library call, a reporter, an exit code.

One module per command or group of commands (config_commands: validate, compile, schema; apply;
bootstrap; run and status; registry; graph; diff; verify); their shared options in options.py, the
reporters chosen by `--format` in reporters.py, and the one place that turns what a command did
into a message and an exit code in outcome.py. Nothing else in compiler/ imports click.
"""

from __future__ import annotations

import sys

import click

from compiler import __version__
from compiler.cli import outcome


@click.group(cls=outcome.CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlopsc")
def cli() -> None:
    """Compile model repositories' mlops.yaml into AWS Step Functions pipelines."""


def main() -> None:
    cli.main(prog_name="mlopsc")


def _add_commands() -> None:
    # Each module imports only click (and options) until its command runs: `mlopsc --help` stays fast.
    from compiler.cli import (apply_command, bootstrap_commands, config_commands, diff_command, graph_command,
                              registry_commands, run_commands, verify_command)

    for command in (config_commands.validate, config_commands.compile_command, config_commands.schema,
                    bootstrap_commands.bootstrap, run_commands.run_command, run_commands.status_command,
                    registry_commands.registry, graph_command.graph_command, diff_command.diff_command,
                    verify_command.verify_command, apply_command.apply_command):
        cli.add_command(command)


_add_commands()
