"""`mlopsc run` and `mlopsc status` (see compiler/runs/__init__.py for how the pipelines are found)."""

from __future__ import annotations

import sys

import click

from compiler.cli import options, outcome, reporters
from compiler.runs import PIPELINES

ENV = options.env("The environment whose pipelines to use.")


@click.command("run")
@click.argument("pipeline", type=click.Choice(PIPELINES))
@options.PATHS
@ENV
@options.MODEL
@options.PLATFORM
@click.option("--input", "input_text", help='Execution input, a JSON object (default: {"trigger": "manual"}).')
@click.option("--wait", is_flag=True, help="Follow the execution until it ends; exit 0 when it succeeded, 1 when not.")
def run_command(pipeline, paths, environment, model, platform_file, input_text, wait) -> int:
    """Start PIPELINE (retrain, deploy, batch or drift) of the model at PATHS in an environment.

    PATHS: a model repository or mlops.yaml (compiled in memory; default .), or the OUT directory
    `mlopsc compile` wrote."""
    from compiler.errors import InputError
    from compiler.runs import pipelines as runs
    from compiler.runs import display, follow

    def start(pipelines, sfn):
        if pipeline in pipelines.disabled:
            raise InputError(f"{pipelines.model} has no {pipeline} pipeline in {pipelines.environment}: it is "
                             "switched off there (enabled: false)",
                             f"its pipelines there: {', '.join(sorted(pipelines.state_machines))}")
        if pipeline not in pipelines.state_machines:
            raise InputError(f"{pipelines.model} has no {pipeline} pipeline",
                             f"its pipelines: {', '.join(sorted(pipelines.state_machines))}")
        execution = sfn.start_execution(stateMachineArn=pipelines.state_machines[pipeline],
                                        name=runs.execution_name(), input=runs.parse_input(input_text))
        arn = execution["executionArn"]
        click.echo(f"started {pipeline} of {pipelines.model} ({pipelines.environment}): {arn}")
        click.echo(f"  https://{pipelines.region}.console.aws.amazon.com/states/home?region={pipelines.region}"
                   f"#/v2/executions/details/{arn}")
        if not wait:
            return outcome.EXIT_OK
        ended = follow.follow(sfn, arn, display.for_stream(sys.stdout))
        return outcome.EXIT_OK if ended.ok else outcome.EXIT_FAILED

    return _with_pipelines(paths, platform_file, environment, model, start)


@click.command("status")
@options.PATHS
@ENV
@options.MODEL
@options.PLATFORM
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Runs per pipeline.")
@options.output_format("status")
def status_command(paths, environment, model, platform_file, limit, output_format) -> int:
    """List the recent runs of the model's pipelines in an environment, newest first.

    PATHS as for `mlopsc run`: a model repository, mlops.yaml, or OUT."""
    from compiler.runs import display, follow

    def show(pipelines, sfn):
        rows = sorted(follow.recent(sfn, pipelines.state_machines, limit), key=lambda r: r["started"], reverse=True)
        if output_format == "json":
            rows = [dict(row, started=row["started"].isoformat(),
                         stopped=row["stopped"].isoformat() if row["stopped"] else None) for row in rows]
        reporters.report("status", output_format, rows, sys.stdout,
                         text=lambda rows, out: _runs_text(pipelines, rows, out))
        return outcome.EXIT_OK

    return _with_pipelines(paths, platform_file, environment, model, show)


def _runs_text(pipelines, rows: list, out) -> None:
    from compiler.runs import display

    if not rows:
        out.write(f"no runs of {pipelines.model} ({pipelines.environment}) yet\n")
        return
    for row in rows:
        row["when"] = row["started"].strftime("%Y-%m-%d %H:%M:%S")
        row["took"] = display.duration(row["seconds"])
    display.table(rows, [("pipeline", "pipeline"), ("status", "status"), ("when", "started"), ("took", "took"),
                         ("name", "run")], out)


def _with_pipelines(paths, platform_file, environment, model, action) -> int:
    """Find the pipelines, build a Step Functions client, run `action`; a botocore failure is
    explained (an AwsError), an invalid config reported like `validate` does."""
    from compiler import sources
    from compiler.runs import pipelines as runs
    from compiler import aws_session as aws

    try:
        pipelines = runs.locate(list(paths) or ["."], platform_file, environment, model)
        clients = aws.clients(pipelines.region)
        return action(pipelines, clients.stepfunctions)
    except sources.InvalidConfig as invalid:
        reporters.report("problems", "text", list(invalid.problems), sys.stdout)
        return outcome.exit_code(list(invalid.problems))
    except Exception as error:  # noqa: BLE001 - botocore failures become messages, not tracebacks
        botocore = sys.modules.get("botocore.exceptions")  # imported by whoever made the call that failed
        if botocore is None or not isinstance(error, (botocore.BotoCoreError, botocore.ClientError)):
            raise
        raise aws.explain(error, "talking to Step Functions") from None
