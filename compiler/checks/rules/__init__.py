"""Semantic rules: what the schema cannot say. One rule per module, each with a stable RULE id
and `check(context) -> Iterator[Finding]`. They run only on configs that passed the schema.
`service_quotas` is the one rule on the file as written (`check_document(data)`), run once per
config before any environment is resolved (compiler.checks.check_config).
ACROSS rules look at every valid environment of every config at once:
`check_across(entries) -> Iterator[(entry index, Finding)]`."""

from compiler.checks.rules import (
    arns,
    batch,
    build_paths,
    deploy,
    fargate_sizes,
    gate,
    instance_types,
    live_names,
    monitor,
    platform_required,
    reserved_env,
    role_names,
    rollback_window,
    runtime_refs,
    schedules,
    secrets_in_config,
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
    instance_types,
    stage_limits,
    secrets_in_config,
    reserved_env,
    schedules,
    tune,
    gate,
    deploy,
    batch,
    monitor,
    rollback_window,
)

ACROSS = (live_names,)
