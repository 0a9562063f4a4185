"""`mlopsc validate`, `mlopsc compile` and `mlopsc schema`: the commands that need no AWS."""

from __future__ import annotations

import sys

import click

from compiler.cli import options, outcome, reporters

PROBLEMS_FORMAT = options.output_format("problems", help_text="How problems are printed.")


@click.command()
@options.PATHS
@options.PLATFORM
@PROBLEMS_FORMAT
def validate(paths, platform_file, output_format) -> int:
    """Check model configs and report every problem at once.

    PATHS are model repositories, mlops.yaml files, or folders searched for them (default: .).
    """
    from compiler import api

    result = api.validate(list(paths) or ["."], platform_file)
    problems = list(result.problems)
    reporters.report("problems", output_format, problems, sys.stdout)
    if output_format == "text" and not problems:
        click.echo(f"{len(result.files)} config{_s(result.files)} valid "
                   f"({len(result.models)} environment{_s(result.models)})", err=True)
    return outcome.exit_code(problems)


@click.command("compile")
@options.PATHS
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="Output directory; OUT/<model>/<env>/ is replaced as a whole.")
@options.env("Compile only this environment (default: every environment).", required=False)
@options.PLATFORM
@PROBLEMS_FORMAT
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and name the stale files if OUT is not up to date.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print a unified diff of what would change in OUT (exit 0; with --check, 1 when "
                   "OUT is not up to date).")
def compile_command(paths, out, environment, platform_file, output_format, check, show_diff) -> int:
    """Validate model configs, then write their state machines, buildspec, pointers, triggers
    and manifest to OUT/<model>/<env>/."""
    from pathlib import Path

    from compiler import api, verify
    from compiler.artifacts import write

    mode = write.WriteMode.from_configuration(check=check, diff=show_diff)
    try:
        result = api.compile_outputs(list(paths) or ["."], platform_file, environment)
    except verify.UnprovenDefinition as error:  # nothing was written (nor compared, with --check or --diff)
        return outcome.report_unproven(error, sys.stderr, prefix=f"{out}/")
    problems = list(result.validation.problems)
    if problems:
        reporters.report("problems", output_format, problems, sys.stdout)
        return outcome.exit_code(problems)
    written = _write(out, result.outputs, mode)
    if mode is write.WriteMode.WRITE:
        click.echo(f"compiled {len(result.outputs)} model environment{_s(result.outputs)} into {out}: "
                   f"{len(written.written)} updated, {len(written.unchanged)} unchanged", err=True)
        return outcome.EXIT_OK
    if mode is write.WriteMode.DIFF:
        click.echo(written.diff, nl=False)
    else:
        for path in written.stale:
            click.echo(f"would change: {Path(out, path).as_posix()}")
    click.echo(f"{len(written.stale)} stale file{_s(written.stale)} in {out}" if written.stale
               else f"{out} is up to date", err=True)
    return outcome.EXIT_FAILED if check and written.stale else outcome.EXIT_OK


def _write(out: str, outputs, mode):
    from pathlib import Path

    from compiler import errors
    from compiler.artifacts import write

    try:
        return write.write(Path(out), outputs, mode)
    except OSError as error:  # a full disk or a read-only folder is not a bug: say so plainly
        verb = "write" if mode is write.WriteMode.WRITE else "read"
        raise errors.InputError(f"cannot {verb} {out}: {error.strerror or error}; {out} was left as it was") from None


@click.command()
def schema() -> None:
    """Print the JSON Schema of mlops.yaml (for editors)."""
    from compiler import package_data

    click.echo(package_data.schema_text(), nl=False)


def _s(items) -> str:
    """The plural ending of a count's noun."""
    return "s" if len(items) != 1 else ""
