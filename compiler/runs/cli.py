"""`mlopsc run` and `mlopsc status` (see compiler/runs/__init__.py for how the pipelines are found)."""

from __future__ import annotations

import json
import sys

import click

from compiler import report
from compiler.runs import PIPELINES

PATHS = click.argument("paths", nargs=-1, type=click.Path())
ENV = click.option("--env", "environment", required=True, help="The environment whose pipelines to use.")
MODEL = click.option("--model", help="The model, when PATH holds several.")
PLATFORM = click.option("--platform", "platform_file", type=click.Path(exists=True, dir_okay=False),
                        help="The platform file (default: the nearest mlops-platform.yaml above the config).")


@click.command("run")
@click.argument("pipeline", type=click.Choice(PIPELINES))
@PATHS
@ENV
@MODEL
@PLATFORM
@click.option("--input", "input_text", help='Execution input, a JSON object (default: {"trigger": "manual"}).')
@click.option("--wait", is_flag=True, help="Follow the execution until it ends; exit 0 when it succeeded, 1 when not.")
def run_command(pipeline, paths, environment, model, platform_file, input_text, wait) -> None:
    """Start PIPELINE (retrain, deploy, batch or drift) of the model at PATHS in an environment.

    PATHS: a model repository or mlops.yaml (compiled in memory; default .), or the OUT directory
    `mlopsc compile` wrote."""
    from compiler.errors import InputError
    from compiler.runs import pipelines as runs
    from compiler.runs import display, follow

    def start(pipelines, sfn):
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
            return report.EXIT_OK
        outcome = follow.follow(sfn, arn, display.for_stream(sys.stdout))
        return report.EXIT_OK if outcome.ok else report.EXIT_INVALID

    sys.exit(_with_pipelines(paths, platform_file, environment, model, start))


@click.command("status")
@PATHS
@ENV
@MODEL
@PLATFORM
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Runs per pipeline.")
@click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text", show_default=True)
def status_command(paths, environment, model, platform_file, limit, output_format) -> None:
    """List the recent runs of the model's pipelines in an environment, newest first.

    PATHS as for `mlopsc run`: a model repository, mlops.yaml, or OUT."""
    from compiler.runs import display, follow

    def show(pipelines, sfn):
        rows = sorted(follow.recent(sfn, pipelines.state_machines, limit), key=lambda r: r["started"], reverse=True)
        if output_format == "json":
            click.echo(json.dumps([dict(row, started=row["started"].isoformat(),
                                        stopped=row["stopped"].isoformat() if row["stopped"] else None)
                                   for row in rows], indent=2))
            return report.EXIT_OK
        if not rows:
            click.echo(f"no runs of {pipelines.model} ({pipelines.environment}) yet")
            return report.EXIT_OK
        for row in rows:
            row["when"] = row["started"].strftime("%Y-%m-%d %H:%M:%S")
            row["took"] = display.duration(row["seconds"])
        display.table(rows, [("pipeline", "pipeline"), ("status", "status"), ("when", "started"), ("took", "took"),
                             ("name", "run")], sys.stdout)
        return report.EXIT_OK

    sys.exit(_with_pipelines(paths, platform_file, environment, model, show))


def _with_pipelines(paths, platform_file, environment, model, action) -> int:
    """Find the pipelines, build a Step Functions client, run `action`; every failure is a message."""
    from compiler import sources
    from compiler.errors import InputError, MlopscError
    from compiler.runs import pipelines as runs
    from compiler import aws_session as aws

    try:
        pipelines = runs.locate(list(paths) or ["."], platform_file, environment, model)
        clients = aws.clients(pipelines.region)
        return action(pipelines, clients.stepfunctions)
    except sources.InvalidConfig as invalid:
        report.REPORTERS["text"](list(invalid.problems), sys.stdout)
        return report.exit_code(list(invalid.problems))
    except InputError as error:  # PATH, --env, --model, --input, or an OUT that cannot be read
        click.echo(f"mlopsc: error: {error}\n  hint: {error.hint}", err=True)
        return report.EXIT_USAGE
    except MlopscError as error:
        click.echo(f"mlopsc: error: {error}\n  hint: {error.hint}", err=True)
        return report.EXIT_INVALID
    except Exception as error:  # noqa: BLE001 - botocore failures become messages, not tracebacks
        from botocore.exceptions import BotoCoreError, ClientError

        if not isinstance(error, (BotoCoreError, ClientError)):
            raise
        explained = aws.explain(error, "talking to Step Functions")
        click.echo(f"mlopsc: error: {explained}\n  hint: {explained.hint}", err=True)
        return report.EXIT_INVALID
