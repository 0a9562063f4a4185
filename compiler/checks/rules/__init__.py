"""Semantic rules: what the schema cannot say. One rule per module, each with a stable RULE id
and `check(context) -> Iterator[Finding]`. They run only on configs that passed the schema.
ACROSS rules look at every valid environment of every config at once:
`check_across(entries) -> Iterator[(entry index, Finding)]`."""

from compiler.checks.rules import (
    arns,
    batch,
    build_paths,
    deploy,
    fargate_sizes,
    gate,
    live_names,
    monitor,
    platform_required,
    reserved_env,
    role_names,
    runtime_refs,
    schedules,
    secrets_in_environment,
    stage_limits,
    tune,
)

ALL = (
    platform_required,
    arns,
    role_names,
    runtime_refs,
    build_paths,
    fargate_sizes,
    stage_limits,
    secrets_in_environment,
    reserved_env,
    schedules,
    tune,
    gate,
    deploy,
    batch,
    monitor,
)

ACROSS = (live_names,)
