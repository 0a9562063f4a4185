"""`mlopsc apply`: make one environment's account match OUT (see docs/apply.md).

Steps: read and check OUT and images.json (no AWS yet) -> refuse a wrong account or region
(before any read or write) -> plan every model environment (reads only) -> write the pending
changes in order, stopping at the first failure and saying what was and was not applied.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Optional

from compiler import aws_session as aws
from compiler.apply.inputs import Commit, images_for, package_for, read_commit, read_images, read_published
from compiler.artifacts.read import CompiledEnvironment, read_environments
from compiler.errors import AwsError, InputError, Refused
from compiler.apply.function import check_functions
from compiler.apply.changes import Change
from compiler.apply.history import History
from compiler.apply.resources import Planner, Superseded


@dataclasses.dataclass(frozen=True)
class Request:
    out: Path
    environment: str
    images: Optional[Path] = None
    commit: Optional[str] = None
    commit_time: Optional[int] = None
    dry_run: bool = False
    repository: Path = Path(".")  # the git checkout of --commit: commit order comes from its history


@dataclasses.dataclass
class EnvironmentPlan:
    directory: str
    changes: list


@dataclasses.dataclass
class Failure:
    directory: Optional[str]  # None: before any environment was planned
    change: Optional[Change]
    message: str
    hint: str


@dataclasses.dataclass
class Outcome:
    account: str = ""
    region: str = ""
    plans: list = dataclasses.field(default_factory=list)
    applied: list = dataclasses.field(default_factory=list)  # Changes written
    superseded: list = dataclasses.field(default_factory=list)  # (directory, message)
    #: (directory, why): environments left as they are because the applied commit is not an
    #: ancestor of (or equal to) this one; apply exits non-zero, so a pipeline cannot stay green.
    kept: list = dataclasses.field(default_factory=list)
    failure: Optional[Failure] = None

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.kept


def load(request: Request) -> tuple[list[CompiledEnvironment], Optional[dict], Optional[Commit]]:
    """Everything apply needs from disk, checked; raises InputError."""
    environments = read_environments(request.out, request.environment)
    images = read_images(request.images)
    commit = read_commit(request.commit, request.commit_time)
    if images is not None and commit is None:
        raise InputError("--images needs --commit and --commit-time",
                              "pointer writes are ordered by commit time, so an older build never replaces a newer one")
    per_environment = {env.directory: images_for(env, images, str(request.images)) if images else None
                       for env in environments}
    load_packages(request, environments)  # refused here too, before any AWS call
    return environments, per_environment, commit


def load_packages(request: Request, environments: list[CompiledEnvironment]) -> dict:
    """directory -> the package this commit's build published for it (build.publish; published.json
    beside images.json), or None."""
    published = read_published(request.images)
    return {env.directory: package_for(env, published, str(request.images)) if request.images else None
            for env in environments}


def apply(request: Request, outcome: Outcome, configure: Optional[Callable] = None,
          on_plan: Callable[[Outcome], None] = lambda outcome: None,
          on_change: Callable[[str, Change], None] = lambda directory, change: None) -> Outcome:
    """Plan, show the plan (`on_plan`), then, unless a dry run, write. Fills `outcome` as it goes,
    so a caller can report what was applied even when an exception escapes. `configure(session)`
    lets tests hook botocore."""
    environments, images, commit = load(request)
    clients = aws.clients(environments[0].target.region, configure)
    _check_target(clients, environments, outcome)
    history = History(request.repository)
    packages = load_packages(request, environments)
    planners = {env.directory: Planner(clients, env, images[env.directory], commit, history,
                                       package=packages[env.directory]) for env in environments}
    for directory, planner in planners.items():
        _check_roles(clients, planner.environment, directory)
        check_functions(clients, planner.environment, directory)
        try:
            changes = planner.plan()
        except Exception as error:  # noqa: BLE001 - every botocore failure becomes a message
            outcome.failure = _failure(directory, None, aws.explain(error, f"{directory}: reading the current state"))
            return outcome
        outcome.plans.append(EnvironmentPlan(directory, changes))
        outcome.kept += [(directory, change.details[0]) for change in changes if change.action == "kept"]
    on_plan(outcome)
    if request.dry_run:
        return outcome
    for plan in outcome.plans:
        if not _write(plan, outcome, on_change):
            return outcome
    return outcome


def _write(plan: EnvironmentPlan, outcome: Outcome, on_change) -> bool:
    for change in plan.changes:
        if not change.pending:
            continue
        try:
            change.write()
        except Superseded as superseded:
            outcome.superseded.append((plan.directory, str(superseded)))
            return True  # the newer commit owns this environment; the others still apply
        except Exception as error:  # noqa: BLE001
            outcome.failure = _failure(plan.directory, change,
                                       aws.explain(error, f"{plan.directory}: {change.action} {change.kind} {change.name}"))
            return False
        outcome.applied.append(change)
        on_change(plan.directory, change)
    return True


def _failure(directory: str, change: Optional[Change], error: AwsError) -> Failure:
    return Failure(directory, change, str(error), error.hint)


def _check_target(clients, environments: list[CompiledEnvironment], outcome: Outcome) -> None:
    """Refuse before any other call when the credentials or region are not the environment's."""
    try:
        account = clients.sts.get_caller_identity()["Account"]
    except Exception as error:  # noqa: BLE001
        raise aws.explain(error, "checking the caller's account (sts:GetCallerIdentity)") from None
    outcome.account, outcome.region = account, clients.region
    configured = aws.configured_region()
    for env in environments:
        target = env.target
        if target.account != account:
            raise Refused(f"{env.directory}: compiled for account {target.account}, "
                          f"but the credentials are of account {account}; nothing was changed",
                          "run apply with credentials of the environment's account (or fix platform.account)")
        if configured is not None and target.region != configured:
            raise Refused(f"{env.directory}: compiled for region {target.region}, "
                          f"but the configured region is {configured}; nothing was changed",
                          f"set AWS_REGION={target.region} (or fix platform.region)")


def _check_roles(clients, environment: CompiledEnvironment, directory: str) -> None:
    from botocore.exceptions import ClientError

    for what, arn in (("pipeline", environment.target.pipeline_role), ("task", environment.target.task_role)):
        try:
            clients.iam.get_role(RoleName=arn.rsplit("/", 1)[-1])
        except Exception as error:  # noqa: BLE001
            if not (isinstance(error, ClientError) and error.response["Error"]["Code"] == "NoSuchEntity"):
                raise aws.explain(error, f"{directory}: checking the {what} role") from None
            raise AwsError(f"{directory}: the {what} role {arn} does not exist; nothing was changed",
                               "create the platform and the model's stacks first: `mlopsc bootstrap platform` "
                               "and `mlopsc bootstrap model` print them") from None


__all__ = ["Failure", "Outcome", "Request", "apply", "load"]
