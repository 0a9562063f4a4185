"""Options and arguments several commands share, defined once (as dbt's cli/params.py)."""

from __future__ import annotations

import click

from compiler.cli import reporters

#: PATHS of the commands that read configs (validate, compile, run, status, graph); default `.`.
PATHS = click.argument("paths", nargs=-1, type=click.Path())

#: OUT, the folder `mlopsc compile` wrote (apply, registry).
OUT = click.argument("out", type=click.Path(file_okay=False))

PLATFORM_HELP = ("The platform team's file of shared AWS names (the keys of `platform:`). "
                 "Default: the nearest mlops-platform.yaml above each config, up to the repository root.")


def platform(help_text: str = PLATFORM_HELP, must_exist: bool = True, **settings):
    """`--platform FILE`; `diff` reads it at each revision, so there it need not exist in the working tree."""
    return click.option("--platform", "platform_file", type=click.Path(exists=must_exist, dir_okay=False),
                        help=help_text, **settings)


PLATFORM = platform()


def env(help_text: str, required: bool = True):
    """`--env NAME`: the environment a command works on (compile: optional, every one by default)."""
    return click.option("--env", "environment", required=required, help=help_text)


MODEL = click.option("--model", help="The model, when the paths (or OUT) hold several.")


def output_format(kind: str, default: str = "text", help_text: str = "How the result is printed."):
    """`--format NAME`: its choices are the reporters of what the command prints (cli/reporters.py)."""
    return click.option("--format", "output_format", type=click.Choice(reporters.names(kind)), default=default,
                        show_default=True, help=help_text)
