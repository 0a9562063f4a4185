"""`mlopsc bootstrap platform|model`: print the CloudFormation templates of the platform and of a
model's delivery pipeline. Options in, one library call (compiler.bootstrap.stacks), the template
on stdout; problems and notes on stderr, so that `> template.json` holds only the template.

Exit codes as everywhere in mlopsc (compiler.report): 1 an invalid config or platform file (each
problem at its file:line:col), 2 a usage error (no such file, no model found, missing options).
"""

from __future__ import annotations

import re
import sys

import click

from compiler import report

_CONNECTION = re.compile(r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]+$")


@click.group()
def bootstrap() -> None:
    """Print CloudFormation templates that set up an AWS account for mlopsc."""


@bootstrap.command("platform")
@click.option("--platform", "platform_file", default="mlops-platform.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="The platform team's file of shared AWS names.")
@click.option("--handler-zip", type=click.Path(dir_okay=False),
              help="Also write the registry handler's Lambda zip to this file (upload it to the bucket the stack's "
                   "RegistryHandlerBucket parameter names, at the key RegistryHandlerKey defaults to).")
def platform_command(platform_file, handler_zip) -> None:
    """Print the platform stack: registry table and its Lambda function, artifact bucket, event bus,
    topic, ECS cluster, shared roles, and the platform file itself (in SSM, for the compile stage)."""
    from pathlib import Path

    from compiler.bootstrap import stacks

    def build():
        stack = stacks.platform_stack(Path(platform_file))
        if handler_zip and not stack.problems:
            try:
                stacks.write_handler_zip(Path(handler_zip))
            except OSError as error:
                raise stacks.UsageError(f"cannot write {handler_zip}: {error.strerror or error}") from None
        return stack

    _emit(build)


@bootstrap.command("model")
@click.argument("path", type=click.Path())
@click.option("--platform", "platform_file", type=click.Path(dir_okay=False),
              help="The platform file (default: the nearest mlops-platform.yaml above the config).")
@click.option("--source", "source_kind", type=click.Choice(["codecommit", "github"]), default="codecommit",
              show_default=True, help="Where the pipeline takes the model repository from.")
@click.option("--repository", help="CodeCommit repository name (default: the model's name), or GitHub's owner/name.")
@click.option("--branch", default="main", show_default=True, help="The branch the pipeline delivers.")
@click.option("--connection-arn", help="CodeStar connection to GitHub (with --source github).")
def model_command(path, platform_file, source_kind, repository, branch, connection_arn) -> None:
    """Print the delivery pipeline stack of the model at PATH: ECR repositories, log groups, the
    model's roles or policies, and the CodePipeline Source -> Build -> per environment Compile & Apply."""
    from compiler.bootstrap import model_stack, stacks

    if source_kind == "github":
        if not connection_arn or not _CONNECTION.match(connection_arn):
            raise click.UsageError("--source github needs --connection-arn, the ARN of a CodeStar connection "
                                   "(arn:aws:codestar-connections:<region>:<account>:connection/<id>)")
        if not repository or not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise click.UsageError("--source github needs --repository OWNER/NAME")
    else:
        if connection_arn:
            raise click.UsageError("--connection-arn is for --source github")
        if repository is not None and not re.fullmatch(r"[\w.-]{1,100}", repository):
            raise click.UsageError(f"--repository {repository!r} is not a CodeCommit repository name")

    # Without --repository, CodeCommit's repository is named like the model (known once it is read).
    source = model_stack.Source(source_kind, repository or "", branch, connection_arn)
    _emit(lambda: stacks.model_stack(path, platform_file, source))


def _emit(build) -> None:
    from compiler.bootstrap import BootstrapError, stacks

    try:
        stack = build()
    except stacks.UsageError as error:
        raise click.UsageError(str(error)) from None
    except BootstrapError as error:
        click.echo(f"mlopsc bootstrap: error: {error}" + (f"\n  hint: {error.hint}" if error.hint else ""), err=True)
        sys.exit(report.EXIT_INVALID)
    if stack.problems:
        report.REPORTERS["text"](list(stack.problems), sys.stderr)
        sys.exit(report.exit_code(stack.problems))
    click.echo(stack.text, nl=False)
    for note in stack.notes:
        click.echo(f"note: {note}", err=True)
