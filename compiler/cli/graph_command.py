"""`mlopsc graph`: one pipeline's state machine as a Mermaid flowchart or Graphviz DOT (compiler/graph/)."""

from __future__ import annotations

import sys

import click

from compiler.cli import options, outcome, reporters
from compiler.runs import PIPELINES


@click.command("graph")
@options.PATHS
@options.env("The environment whose pipelines to draw.")
@options.MODEL
@click.option("--pipeline", type=click.Choice(PIPELINES),
              help="The pipeline to draw (needed when the model has several).")
@options.output_format("graph", default="mermaid", help_text="A Mermaid flowchart or a Graphviz DOT graph.")
@options.PLATFORM
def graph_command(paths, environment, model, pipeline, output_format, platform_file) -> int:
    """Print a pipeline's state machine as a Mermaid flowchart (renders in GitHub/GitLab markdown)
    or a Graphviz DOT graph.

    PATHS: the OUT directory `mlopsc compile` wrote, or a model repository / mlops.yaml (compiled in
    memory; default .)."""
    from compiler import sources
    from compiler.errors import InputError
    from compiler.runs import pipelines as runs

    try:
        found = runs.definitions(list(paths) or ["."], platform_file, environment, model)
    except sources.InvalidConfig as invalid:
        reporters.report("problems", "text", list(invalid.problems), sys.stdout)
        return outcome.exit_code(list(invalid.problems))
    if pipeline is None:
        if len(found.definitions) != 1:
            raise InputError(f"{found.model} has {len(found.definitions)} pipelines: "
                             f"{', '.join(found.definitions)}", "name one with --pipeline")
        pipeline = next(iter(found.definitions))
    if pipeline not in found.definitions:
        raise InputError(f"{found.model} has no {pipeline} pipeline in {found.environment}",
                         f"its pipelines: {', '.join(found.definitions) or 'none'}")
    reporters.report("graph", output_format, found.definitions[pipeline], sys.stdout)
    return outcome.EXIT_OK
