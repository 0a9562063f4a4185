"""`mlopsc graph`: one pipeline's state machine as a Mermaid flowchart or Graphviz DOT (compiler/graph/)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from compiler.cli import options, outcome, reporters
from compiler.runs import PIPELINES


@click.command("graph")
@options.PATHS
@options.env("The environment whose pipelines to draw (not for an .asl.json file).", required=False)
@options.MODEL
@click.option("--pipeline", type=click.Choice(PIPELINES),
              help="The pipeline to draw (needed when the model has several).")
@options.output_format("graph", default="mermaid", help_text="A Mermaid flowchart or a Graphviz DOT graph.")
@options.PLATFORM
def graph_command(paths, environment, model, pipeline, output_format, platform_file) -> int:
    """Print a pipeline's state machine as a Mermaid flowchart (renders in GitHub/GitLab markdown)
    or a Graphviz DOT graph.

    PATHS: the OUT directory `mlopsc compile` wrote, or a model repository / mlops.yaml (compiled in
    memory; default .), or one state machine file (`*.json`, such as a PR's changed .asl.json: no
    --env)."""
    from compiler import sources
    from compiler.errors import InputError
    from compiler.runs import pipelines as runs

    if len(paths) == 1 and _is_definition_file(paths[0]):
        if environment or model or pipeline or platform_file:
            raise InputError(f"{paths[0]} is one state machine: --env, --model, --pipeline and --platform "
                             "do not apply",
                             "leave them out to draw this file")
        reporters.report("graph", output_format, _read_definition(Path(paths[0])), sys.stdout)
        return outcome.EXIT_OK
    if environment is None:
        raise InputError("graph needs --env for a model repository or an OUT directory",
                         "name the environment whose pipeline to draw, or pass one .asl.json file")
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


def _is_definition_file(path: str) -> bool:
    """A PATH naming a JSON file (a state machine definition) rather than configs or OUT: an
    mlops.yaml is YAML, an OUT or a repository a folder."""
    return path.endswith(".json") and not Path(path).is_dir()


def _read_definition(path: Path) -> dict:
    """The state machine in one file, read as verify reads one (bounded: a compiled output's
    limit); a file that is not JSON, or not a state machine the graph can draw, is refused with
    the file and the reason (exit 2)."""
    from compiler import files, graph
    from compiler.errors import InputError

    text = files.read_text_bounded(path, files.COMPILED_OUTPUT_BYTES, "state machine definition")
    try:
        definition = json.loads(text)
    except ValueError as error:
        raise InputError(f"{path}: not JSON ({error})", "pass an Amazon States Language definition, "
                         "such as OUT/<model>/<env>/<pipeline>.asl.json") from None
    problem = graph.definition_problem(definition)
    if problem:
        raise InputError(f"{path}: not a state machine: {problem}",
                         "pass an Amazon States Language definition (an object with StartAt and States), "
                         "such as OUT/<model>/<env>/<pipeline>.asl.json")
    return definition
