"""`mlopsc bootstrap platform|model|target`: print the CloudFormation templates of the platform, of a
model's delivery pipeline, and of an account that receives its deployments (cross-account
delivery). Options in, one library call (compiler.bootstrap.stacks), the template on stdout; problems and notes on stderr, so that `> template.json` holds only the template.

Exit codes as everywhere in mlopsc (compiler/cli/outcome.py): 1 an invalid config or platform file
(each problem at its file:line:col), 2 a usage error (no such file, no model found, missing options).
"""

from __future__ import annotations

import re
import sys

import click

from compiler.cli import options, outcome, reporters

_CONNECTION = re.compile(r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]+$")


@click.group(cls=outcome.CommandGroup)
def bootstrap() -> None:
    """Print CloudFormation templates that set up an AWS account for mlopsc."""


@bootstrap.command("platform")
@options.platform("The platform team's file of shared AWS names.", must_exist=False, default="mlops-platform.yaml",
                  show_default=True)
@click.option("--handler-zip", type=click.Path(dir_okay=False),
              help="Also write the registry handler's Lambda zip to this file (upload it to the bucket the stack's "
                   "RegistryHandlerBucket parameter names, at the key RegistryHandlerKey defaults to).")
@click.option("--target-account", "target_accounts", multiple=True, callback=lambda c, p, v: _accounts(v),
              help="An account this one delivers models to (repeatable): images replicate there, and its pipelines' "
                   "events may reach this account's bus.")
def platform_command(platform_file, handler_zip, target_accounts) -> int:
    """Print the platform stack: registry table and its Lambda function, artifact bucket, event bus,
    topic, ECS cluster, shared roles, and the platform file itself (in SSM, for the compile stage)."""
    from pathlib import Path

    from compiler.bootstrap import stacks

    return _emit(_writing_handler_zip(lambda: stacks.platform_stack(Path(platform_file), target_accounts), handler_zip))


def _writing_handler_zip(build, handler_zip):
    """`build`, then the registry handler's zip written to `handler_zip` (when given) for a valid stack."""
    from pathlib import Path

    from compiler.bootstrap import stacks

    def built():
        stack = build()
        if handler_zip and not stack.problems:
            try:
                stacks.write_handler_zip(Path(handler_zip))
            except OSError as error:
                raise stacks.UsageError(f"cannot write {handler_zip}: {error.strerror or error}") from None
        return stack

    return built


@bootstrap.command("model")
@click.argument("path", type=click.Path())
@options.platform(must_exist=False)
@click.option("--source", "source_kind", type=click.Choice(["codecommit", "github"]), default="codecommit",
              show_default=True, help="Where the pipeline takes the model repository from.")
@click.option("--repository", help="CodeCommit repository name (default: the model's name), or GitHub's owner/name.")
@click.option("--branch", default="main", show_default=True, help="The branch the pipeline delivers.")
@click.option("--connection-arn", help="CodeStar connection to GitHub (with --source github).")
def model_command(path, platform_file, source_kind, repository, branch, connection_arn) -> int:
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
    return _emit(lambda: stacks.model_stack(path, platform_file, source))


@bootstrap.command("target")
@click.argument("path", type=click.Path())
@options.platform("The delivery account's platform file (the model stack's).", must_exist=False)
@click.option("--account", required=True, callback=lambda c, p, v: _accounts((v,))[0],
              help="The account that receives the deployments of the model's environments there.")
@click.option("--without-platform", is_flag=True,
              help="Leave out the account's platform resources (registry, bucket, bus, topic, cluster, shared roles, "
                   "replication and event forwarding): another model's target stack made them.")
@click.option("--org-id", help="Trust only principals of this AWS Organization (aws:PrincipalOrgID), e.g. o-a1b2c3d4e5.")
@click.option("--handler-zip", type=click.Path(dir_okay=False),
              help="Also write the registry handler's Lambda zip (as `bootstrap platform --handler-zip`).")
def target_command(path, platform_file, account, without_platform, org_id, handler_zip) -> int:
    """Print the target stack of the model at PATH for ACCOUNT, where some of its environments are:
    that account's platform, the deploy role its compile projects assume to apply there, the
    registry role `mlopsc registry` assumes, and the model's roles' policies and log groups there."""
    from compiler.bootstrap import stacks

    if org_id is not None and not re.fullmatch(r"o-[a-z0-9]{10,32}", org_id):
        raise click.UsageError(f"--org-id {org_id!r} is not an AWS Organizations id (o- and 10 to 32 letters or digits)")
    return _emit(_writing_handler_zip(
        lambda: stacks.target_stack(path, platform_file, account, not without_platform, org_id), handler_zip))


def _accounts(values) -> tuple:
    for value in values:
        if not re.fullmatch(r"[0-9]{12}", value):
            raise click.BadParameter(f"{value!r} is not an AWS account id (12 digits)")
    return tuple(values)


def _emit(build) -> int:
    """The template on stdout; its problems (stdout holds only a template) and notes on stderr."""
    stack = build()
    if stack.problems:
        reporters.report("problems", "text", list(stack.problems), sys.stderr)
        return outcome.exit_code(stack.problems)
    click.echo(stack.text, nl=False)
    for note in stack.notes:
        click.echo(f"note: {note}", err=True)
    return outcome.EXIT_OK
