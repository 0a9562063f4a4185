"""`mlopsc apply OUT --env NAME`: make AWS match OUT for one environment (compiler/apply/)."""

from __future__ import annotations

import sys

import click

from compiler.cli import options, outcome, reporters


@click.command("apply")
@options.OUT
@options.env("The environment to apply (OUT/<model>/<env>/ of every model).")
@click.option("--images", type=click.Path(dir_okay=False),
              help="The build stage's images.json (runtime -> image URI by digest); without it, pointers and "
                   "task definitions are left as they are.")
@click.option("--commit", help="The commit being applied (full sha); needed with --images.")
@click.option("--commit-time", type=int, help="Its commit time, unix seconds (git log -1 --format=%ct), at most "
                                             "15 minutes ahead: orders commits where git history cannot.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@options.output_format("apply")
def apply_command(out, environment, images, commit, commit_time, dry_run, output_format) -> int:
    """Make AWS match OUT for one environment: state machines, task definitions, pointers, trigger
    rules, and the on-commit retrain run. Prints the plan first; idempotent."""
    from pathlib import Path

    from compiler import apply
    from compiler.errors import MissingDependency

    request = apply.Request(Path(out), environment, Path(images) if images else None, commit, commit_time, dry_run)
    result = apply.Outcome()
    try:
        apply.apply(request, result,
                    on_plan=lambda planned: reporters.report("apply-plan", output_format, planned, sys.stdout))
    except Exception as error:  # noqa: BLE001 - sorted by kind below
        if outcome.code_of(error) != outcome.EXIT_FAILED or isinstance(error, MissingDependency):
            raise  # unusable input, no boto3 (nothing planned) or a bug: reported as such
        # A refusal or an AWS failure is part of the outcome: reported with what was applied before it.
        result.failure = apply.Failure(None, None, str(error), getattr(error, "hint", ""))
    reporters.report("apply", output_format, result, sys.stdout, dry_run=dry_run)
    return outcome.EXIT_OK if result.ok else outcome.EXIT_FAILED
