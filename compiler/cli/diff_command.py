"""`mlopsc diff BASE HEAD`: what a config change does to every compiled pipeline (compiler/diff/)."""

from __future__ import annotations

import sys

import click

from compiler.cli import options, outcome, reporters


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option("--repo", "repository", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Where git revisions are compiled from: a model repository, or a folder of them, inside a "
                   "git checkout; its files at each revision are compiled. A folder on the other side must be it.")
@options.platform("The platform file: read at each revision when it is inside the repository. Default: the "
                  "nearest mlops-platform.yaml above each config, at that revision.", must_exist=False)
@options.output_format("diff", help_text="markdown: a pull request comment (a summary table, one collapsible "
                                         "section per pipeline or file).")
@click.option("--graph", "graphs", is_flag=True,
              help="With --format markdown: draw each changed pipeline (Mermaid), added and changed states highlighted.")
def diff_command(base, head, repository, platform_file, output_format, graphs) -> int:
    """Show what changes from BASE to HEAD in every compiled pipeline, semantically: states added,
    removed, renamed; transitions; gate conditions; fields; buildspec, pointers, triggers, iam.
    Changes a reviewer must look at are flagged (risk).

    BASE and HEAD: each a git revision (its files read from git, the working tree is not touched),
    an OUT directory `mlopsc compile` wrote, or a folder of configs (the working tree). One
    argument `A...B` compares the merge base of A and B with B, as `git diff A...B`: what a
    branch changes, whatever A did since it left. Exit code: 0 no change, 1 changes, 2 an error
    (a side that cannot be read or does not compile).

    \b
    mlopsc diff origin/main...HEAD                            # what this branch changes
    mlopsc diff HEAD .                                        # what your uncommitted edit does
    mlopsc diff origin/main...HEAD --format markdown --graph  # a pull request comment
    """
    from pathlib import Path

    from compiler import sources
    from compiler.diff import compare

    if graphs and output_format != "markdown":
        raise click.UsageError("--graph draws the pipelines into markdown: add --format markdown")
    try:
        result = compare.compare(base, head, Path(repository), platform_file)
    except sources.InvalidConfig as invalid:  # a side that does not compile: its problems, then exit 2
        click.echo(f"mlopsc: error: {invalid}", err=True)
        reporters.report("problems", "text", list(invalid.problems), sys.stderr)
        return outcome.EXIT_USAGE
    reporters.report("diff", output_format, result, sys.stdout, graphs=graphs)
    # Like `git diff --exit-code`: 0 no change, 1 changes (2 an error).
    return outcome.EXIT_FAILED if result.changes else outcome.EXIT_OK
