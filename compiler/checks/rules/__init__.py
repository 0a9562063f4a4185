"""Semantic rules: what the schema cannot say. One rule per module, each with a stable RULE id, a
one-line DESCRIPTION (docs/rules.md is generated from them) and a function that yields Findings:
config paths, never line numbers (compiler.checks locates them). By what a rule looks at:

- ALL: `check(context)`, the effective config of one environment; run only on configs that
  passed the schema (compiler.checks.check_config).
- ACROSS: `check_across(entries) -> Iterator[(entry index, Finding)]`, every valid environment of
  every config at once.
- The config file as written, before any environment is resolved: `service_quotas`
  (`check_document(data)`), `platform_conflict` (`check_files(config, platform file)`) and
  `outside_repository` (`check_file`, before the file is read).
- `duplicate_model`: `check_configs(entries)`, the model names of every valid config.
- `platform_stack`: `check_platform(data)`, a platform file alone (`mlopsc bootstrap platform`).
"""

from compiler.checks.rules import (
    arns,
    autoscaling_cooldowns,
    batch_mode,
    batch_overlap,
    batch_transform,
    build_paths,
    codeartifact,
    deploy_target_block,
    deploy_traffic,
    duplicate_model,
    endpoint_autoscaling,
    endpoint_serving_mode,
    endpoint_variants,
    fargate_sizes,
    gate_conditions,
    gate_stage,
    hyperparameter_count,
    instance_types,
    kms_local_storage,
    lambda_timeout,
    live_names,
    model_package_group,
    monitor_alarm_refs,
    monitor_analyzer_region,
    monitor_drift_window,
    monitor_needs,
    outside_repository,
    pipeline_enabled,
    platform_conflict,
    platform_required,
    platform_stack,
    prebuilt_use,
    reserved_env,
    retrain_trigger_loop,
    role_names,
    rollback_window,
    runtime_image,
    runtime_refs,
    schedules,
    script_mode,
    secrets_in_config,
    service_quotas,
    stage_compute,
    stage_graph,
    stage_io,
    stage_limits,
    train_distribution,
    tune_command,
    tune_early_stopping,
    tune_parameters,
    tune_warm_start,
    variable_set_twice,
)

ALL = (
    platform_required,
    arns,
    role_names,
    runtime_refs,
    runtime_image,
    prebuilt_use,
    build_paths,
    codeartifact,
    script_mode,
    fargate_sizes,
    instance_types,
    kms_local_storage,
    stage_compute,
    stage_limits,
    secrets_in_config,
    reserved_env,
    variable_set_twice,
    schedules,
    tune_parameters,
    tune_command,
    tune_early_stopping,
    tune_warm_start,
    train_distribution,
    hyperparameter_count,
    gate_conditions,
    stage_graph,
    stage_io,
    gate_stage,
    deploy_target_block,
    deploy_traffic,
    lambda_timeout,
    endpoint_autoscaling,
    endpoint_serving_mode,
    endpoint_variants,
    autoscaling_cooldowns,
    batch_mode,
    batch_overlap,
    batch_transform,
    retrain_trigger_loop,
    monitor_needs,
    pipeline_enabled,
    monitor_drift_window,
    monitor_analyzer_region,
    monitor_alarm_refs,
    rollback_window,
)

ACROSS = (live_names, model_package_group)

#: Every rule module, for docs/rules.md and the fixture tests.
EVERY = ALL + ACROSS + (service_quotas, platform_conflict, outside_repository, duplicate_model, platform_stack)
