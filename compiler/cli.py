"""The `mlopsc` command line: options in, one library call, a reporter, an exit code."""

from __future__ import annotations

import os
import sys
import traceback

import click

from compiler import __version__, report

FORMAT = click.option("--format", "output_format", type=click.Choice(sorted(report.REPORTERS)), default="text",
                      show_default=True, help="How problems are printed.")
PLATFORM = click.option("--platform", "platform_file", type=click.Path(exists=True, dir_okay=False),
                        help="The platform team's file of shared AWS names (the keys of `platform:`). "
                             "Default: the nearest mlops-platform.yaml above each config, up to the repository root.")
PATHS = click.argument("paths", nargs=-1, type=click.Path())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlopsc")
def cli() -> None:
    """Compile model repositories' mlops.yaml into AWS Step Functions pipelines."""


@cli.command()
@PATHS
@PLATFORM
@FORMAT
def validate(paths, platform_file, output_format) -> None:
    """Check model configs and report every problem at once.

    PATHS are model repositories, mlops.yaml files, or folders searched for them (default: .).
    """
    from compiler import api, discover

    try:
        result = api.validate(list(paths) or ["."], platform_file)
    except discover.DiscoveryError as error:
        raise click.UsageError(str(error)) from None
    problems = list(result.problems)
    report.REPORTERS[output_format](problems, sys.stdout)
    if output_format == "text" and not problems:
        click.echo(f"{len(result.files)} config{'s' if len(result.files) != 1 else ''} valid "
                   f"({len(result.models)} environment{'s' if len(result.models) != 1 else ''})", err=True)
    sys.exit(report.exit_code(problems))


@cli.command("compile")
@PATHS
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="Output directory; OUT/<model>/<env>/ is replaced as a whole.")
@click.option("--env", "environment", help="Compile only this environment (default: every environment).")
@PLATFORM
@FORMAT
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and name the stale files if OUT is not up to date.")
def compile_command(paths, out, environment, platform_file, output_format, check) -> None:
    """Validate model configs, then write their state machines, buildspec, pointers, triggers
    and manifest to OUT/<model>/<env>/."""
    from pathlib import Path

    from compiler import api, discover, verify
    from compiler.artifacts import write

    try:
        result = api.compile_outputs(list(paths) or ["."], platform_file, environment)
    except (discover.DiscoveryError, api.UnknownEnvironment) as error:
        raise click.UsageError(str(error)) from None
    except verify.UnprovenDefinition as error:  # nothing was written (nor compared, with --check)
        _unproven(error, f"{out}/")
    problems = list(result.validation.problems)
    if problems:
        report.REPORTERS[output_format](problems, sys.stdout)
        sys.exit(report.exit_code(problems))
    if check:
        try:
            stale = write.stale_files(Path(out), result.outputs)
        except write.UnfinishedWrite as error:
            click.echo(f"mlopsc: {error}\n  hint: {error.hint}", err=True)
            sys.exit(report.EXIT_USAGE)
        for path in stale:
            click.echo(f"would change: {Path(out, path).as_posix()}")
        click.echo(f"{len(stale)} stale file{'s' if len(stale) != 1 else ''} in {out}" if stale else f"{out} is up to date",
                   err=True)
        sys.exit(report.EXIT_INVALID if stale else report.EXIT_OK)
    try:
        written = write.write(Path(out), result.outputs)
    except OSError as error:  # a full disk or a read-only folder is not a bug: say so plainly
        click.echo(f"mlopsc: cannot write {out}: {error.strerror or error}; {out} was left as it was", err=True)
        sys.exit(report.EXIT_USAGE)
    click.echo(f"compiled {len(result.outputs)} model environment{'s' if len(result.outputs) != 1 else ''} into {out}: "
               f"{len(written.written)} updated, {len(written.unchanged)} unchanged", err=True)


@cli.command("apply")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--env", "environment", required=True, help="The environment to apply (OUT/<model>/<env>/ of every model).")
@click.option("--images", type=click.Path(dir_okay=False),
              help="The build stage's images.json (runtime -> image URI by digest); without it, pointers and "
                   "task definitions are left as they are.")
@click.option("--commit", help="The commit being applied (full sha); needed with --images.")
@click.option("--commit-time", type=int, help="Its commit time, unix seconds (git log -1 --format=%ct), at most "
                                             "15 minutes ahead: orders commits where git history cannot.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text", show_default=True)
def apply_command(out, environment, images, commit, commit_time, dry_run, output_format) -> None:
    """Make AWS match OUT for one environment: state machines, task definitions, pointers, trigger
    rules, and the on-commit retrain run. Prints the plan first; idempotent."""
    from pathlib import Path

    from compiler import apply
    from compiler.errors import InputError, MlopscError
    from compiler.apply import report as apply_report

    request = apply.Request(Path(out), environment, Path(images) if images else None, commit, commit_time, dry_run)
    outcome = apply.Outcome()
    # The plan is printed before the first write, so a build stopped part-way still shows it.
    show_plan = (lambda _: None) if output_format == "json" else (lambda o: apply_report.plan_text(o, sys.stdout))
    try:
        apply.apply(request, outcome, on_plan=show_plan)
    except InputError as error:
        click.echo(f"mlopsc apply: error: {error}\n  hint: {error.hint}", err=True)
        sys.exit(report.EXIT_USAGE)
    except MlopscError as error:
        outcome.failure = apply.Failure(None, None, str(error), error.hint)
    if output_format == "json":
        apply_report.outcome_json(outcome, dry_run, sys.stdout)
    else:
        apply_report.result_text(outcome, dry_run, sys.stdout)
    sys.exit(report.EXIT_OK if outcome.ok else report.EXIT_INVALID)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of mlops.yaml (for editors)."""
    from compiler import package_data

    click.echo(package_data.schema_text(), nl=False)


def _unproven(error, prefix: str = "") -> None:
    """A state machine mlopsc rendered that `verify` cannot prove (any command that compiles): a bug."""
    for finding in error.findings:
        click.echo(report.one_line(f"{prefix}{finding.text()}"), err=True)
    click.echo(f"mlopsc: internal error: {len(error.findings)} read(s) in the state machines above are not proven "
               "on every route (mlopsc verify); this is a bug in mlopsc, please report it; nothing was written", err=True)
    sys.exit(report.EXIT_BUG)


def main() -> None:
    from compiler.verify import UnprovenDefinition

    try:
        cli.main(prog_name="mlopsc")
    except UnprovenDefinition as error:  # run, diff and bootstrap compile in memory too
        _unproven(error)
    except Exception as error:  # noqa: BLE001 - the last resort: a bug, reported as one
        if os.environ.get("MLOPSC_DEBUG"):
            traceback.print_exc()
        click.echo(f"mlopsc: internal error ({type(error).__name__}): this is a bug in mlopsc, please report it; "
                   "set MLOPSC_DEBUG=1 to see the traceback", err=True)
        sys.exit(report.EXIT_BUG)


from compiler.bootstrap.cli import bootstrap  # noqa: E402 - its commands live in their own package
cli.add_command(bootstrap)

from compiler.runs.cli import run_command, status_command  # noqa: E402
cli.add_command(run_command)
cli.add_command(status_command)

from compiler.registry.cli import registry  # noqa: E402 - its commands live in their own package
cli.add_command(registry)

from compiler.graph_cli import graph_command  # noqa: E402
cli.add_command(graph_command)

from compiler.diff.cli import diff_command  # noqa: E402 - its modules live in their own package
cli.add_command(diff_command)

from compiler.verify.cli import verify_command  # noqa: E402 - imports only click until it runs
cli.add_command(verify_command)
