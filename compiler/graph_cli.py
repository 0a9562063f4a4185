"""`mlopsc graph`: one pipeline's state machine as a Mermaid flowchart or Graphviz DOT (compiler/graph/)."""

from __future__ import annotations

import sys

import click

from compiler import report
from compiler.runs import PIPELINES


@click.command("graph")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--env", "environment", required=True, help="The environment whose pipelines to draw.")
@click.option("--model", help="The model, when PATH holds several.")
@click.option("--pipeline", type=click.Choice(PIPELINES),
              help="The pipeline to draw (needed when the model has several).")
@click.option("--format", "output_format", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--platform", "platform_file", type=click.Path(exists=True, dir_okay=False),
              help="The platform file (default: the nearest mlops-platform.yaml above the config).")
def graph_command(paths, environment, model, pipeline, output_format, platform_file) -> None:
    """Print a pipeline's state machine as a Mermaid flowchart (renders in GitHub/GitLab markdown)
    or a Graphviz DOT graph.

    PATHS: the OUT directory `mlopsc compile` wrote, or a model repository / mlops.yaml (compiled in
    memory; default .)."""
    from compiler import graph
    from compiler import sources
    from compiler.errors import InputError, MlopscError
    from compiler.runs import pipelines as runs

    try:
        found = runs.definitions(list(paths) or ["."], platform_file, environment, model)
        if pipeline is None:
            if len(found.definitions) != 1:
                raise InputError(f"{found.model} has {len(found.definitions)} pipelines: "
                                 f"{', '.join(found.definitions)}", "name one with --pipeline")
            pipeline = next(iter(found.definitions))
        if pipeline not in found.definitions:
            raise InputError(f"{found.model} has no {pipeline} pipeline in {found.environment}",
                             f"its pipelines: {', '.join(found.definitions) or 'none'}")
    except sources.InvalidConfig as invalid:
        report.REPORTERS["text"](list(invalid.problems), sys.stdout)
        sys.exit(report.exit_code(list(invalid.problems)))
    except InputError as error:  # PATH, --env, --model, --input, or an OUT that cannot be read
        click.echo(f"mlopsc: error: {error}\n  hint: {error.hint}", err=True)
        sys.exit(report.EXIT_USAGE)
    except MlopscError as error:
        click.echo(f"mlopsc: error: {error}\n  hint: {error.hint}", err=True)
        sys.exit(report.EXIT_INVALID)
    click.echo(graph.render(found.definitions[pipeline], output_format), nl=False)
