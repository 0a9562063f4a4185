"""The library calls behind `mlopsc bootstrap`: inputs in, a template (or problems) out."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from compiler import api, discover
from compiler.artifacts.format import to_json
from compiler.bootstrap import BootstrapError, platform, platform_file
from compiler.bootstrap.model_stack import Source, template as model_template
from compiler.errors import InputError


@dataclasses.dataclass(frozen=True)
class Stack:
    problems: tuple = ()  # of Problem: the inputs are invalid (exit 1)
    text: str = ""  # the template, as printed
    notes: tuple = ()  # things the person deploying it must know (printed to stderr)


class UsageError(InputError):
    """The command line names no usable input (exit 2)."""


def platform_stack(path: Path, target_accounts: tuple = ()) -> Stack:
    if not path.is_file():
        raise UsageError(f"{path}: no such platform file")
    found, problems = platform_file.read(path)
    if problems:
        return Stack(problems=tuple(problems))
    if found.account in target_accounts:
        raise UsageError(f"--target-account {found.account} is the platform file's own account")
    return Stack(text=to_json(platform.template(found, tuple(target_accounts))), notes=tuple(_platform_notes(found)))


def write_handler_zip(path: Path) -> None:
    from compiler.registry import package

    path.write_bytes(package.handler_zip())


def model_stack(path: str, platform_path: Optional[str], source: Source) -> Stack:
    compiled = _compiled(path, platform_path)
    if isinstance(compiled, Stack):
        return compiled
    configs, outputs, found = compiled
    if not source.repository:
        source = dataclasses.replace(source, repository=configs[0].name)
    text = to_json(model_template(configs, outputs, found, source))
    _check_template_size(text, len(configs))
    return Stack(text=text, notes=tuple(_model_notes(configs, found)))


def target_stack(path: str, platform_path: Optional[str], account: str, with_platform: bool = True,
                 org_id: Optional[str] = None) -> Stack:
    """The stack of an account that receives the model's deployments (compiler/bootstrap/target_stack.py)."""
    from compiler.bootstrap import target_stack as target

    compiled = _compiled(path, platform_path)
    if isinstance(compiled, Stack):
        return compiled
    configs, outputs, found = compiled
    text = to_json(target.template(configs, outputs, found, account, with_platform, org_id))
    _check_template_size(text, len(configs))
    notes = [f"deploy it in account {account} first (it makes the repositories the images replicate to), then the "
             f"delivery account's platform stack printed with `--target-account {account}` (image replication, events)"]
    if with_platform:
        notes.append(_platform_notes(found)[0])
    return Stack(text=text, notes=tuple(notes))


def _compiled(path: str, platform_path: Optional[str]):
    """(configs, outputs, platform file) of the model at `path`, or a Stack with the problems."""
    try:
        files = discover.config_files([path])
    except discover.DiscoveryError as error:
        raise UsageError(str(error)) from None
    if len(files) != 1:
        raise UsageError(f"{path} holds {len(files)} model configs; name one model repository")
    given = Path(platform_path) if platform_path else discover.platform_file_for(files[0])
    if given is None:
        raise UsageError(f"no platform file for {files[0]}: give --platform FILE (the model's pipeline reads the "
                         "platform file that the platform stack stores)")
    if not given.is_file():
        raise UsageError(f"{given}: no such platform file")
    compiled = api.compile_outputs([str(files[0])], str(given))
    if not compiled.validation.ok:
        return Stack(problems=compiled.validation.problems)
    found, problems = platform_file.read(given)
    if problems:
        return Stack(problems=tuple(problems))
    return list(compiled.validation.models), compiled.outputs, found


#: CloudFormation's "Template body size in an Amazon S3 object": 1 MB ("AWS CloudFormation quotas",
#: cloudformation-limits.html), read as the smaller million bytes. The config check
#: (checks/rules/service_quotas.py) caps environments; a richer config can still exceed it.
TEMPLATE_BYTES = 1_000_000


def _check_template_size(text: str, environments: int) -> None:
    size = len(text.encode("utf-8"))
    if size > TEMPLATE_BYTES:
        raise BootstrapError(f"the model stack's template is {size:,} bytes ({environments} environments); "
                             f"CloudFormation takes at most 1 MB ({TEMPLATE_BYTES:,} bytes) from S3",
                             "quota: \"Template body size in an Amazon S3 object\" (1 MB, fixed), "
                             "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html; "
                             "split the model into several models, or use fewer environments")


def _platform_notes(found: platform_file.PlatformFile) -> list:
    from compiler.registry import package

    notes = [f"the registry's Lambda function runs the zip `--handler-zip FILE` writes: upload it with "
             f"`aws s3 cp FILE s3://BUCKET/{package.handler_key()}` and deploy with "
             "`--parameter-overrides RegistryHandlerBucket=BUCKET`"]
    if found.kms_key:
        notes.append(f"the key {found.kms_key} must allow CloudWatch Logs (logs.{found.region}.amazonaws.com), "
                     "CodePipeline's and CodeBuild's roles of each model stack, the pipeline and task roles, and EventBridge "
                     "(events.amazonaws.com: the registry's dead-letter queue is encrypted with it)")
    shared = [role for role in platform_file.ROLES if not found.per_model(role)]
    if shared:
        notes.append(f"roles {', '.join(shared)} are shared by every model: each model stack attaches its policies to "
                     "them, and IAM allows 10,240 characters of inline policy per role; use {model} in the role "
                     "names (one role per model) beyond a few models")
    return notes


def _model_notes(configs: list, found: platform_file.PlatformFile) -> list:
    notes = []
    for config in sorted(configs, key=lambda c: c.environment):
        if (config.platform.account, config.platform.region) != (found.account, found.region):
            notes.append(f"environment {config.environment} is in account {config.platform.account} "
                         f"({config.platform.region}): its stage applies there as the deploy role of "
                         f"`mlopsc bootstrap target PATH --account {config.platform.account}` (deploy that stack there, and this "
                         f"account's platform stack with --target-account {config.platform.account}; docs/bootstrap.md)")
    buckets = sorted({c.retrain.new_data_prefix.removeprefix("s3://").split("/", 1)[0] for c in configs
                      if c.retrain and c.retrain.new_data_prefix} - {found.data["artifact_bucket"]})
    for bucket in buckets:
        notes.append(f"retrain.triggers.new_data watches bucket {bucket}: its owner must turn on its EventBridge "
                     "notifications, or the rule never fires")
    return notes


__all__ = ["BootstrapError", "Stack", "UsageError", "model_stack", "platform_stack", "target_stack"]
