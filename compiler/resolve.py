"""Build the typed model from an effective config that passed every check.

Defaults come from the schema (its `default` keywords), so the documentation and the compiler
cannot disagree about them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Optional

from compiler import durations, inherit, names, package_data, rollback, s3_prefix, stage_graph, switches
from compiler.aws_data import images
from compiler.model import (AsyncInference, BatchPipeline, Build, CodeArtifact, DeployPipeline, Distribution, Drift,
                            Endpoint, Function, GateCondition, GraphStage, Health, ModelConfig, Monitor, Platform, Poll,
                            PrebuiltImage, RetrainPipeline, Retry, Runtime, Serverless, Service, SourceFile, Stage,
                            StageInput, StageOutput, Traffic, Transform, Tune, TuneParameter, Variant, frozen_map)

#: `monitor:<alarm>` in traffic.alarms names an alarm of the monitor section.
MONITOR_ALARM_PREFIX = "monitor:"


def _defaults(definition: str) -> dict:
    properties = package_data.schema()["$defs"][definition]["properties"]
    # A property may be a `$ref` to a shared definition (the tuning keys), with its own siblings.
    specs = {key: {**package_data.resolve_ref(spec["$ref"]), **spec} if "$ref" in spec else spec
             for key, spec in properties.items()}
    return {key: spec["default"] for key, spec in specs.items() if "default" in spec}


def _with_defaults(definition: str, given: Optional[dict]) -> dict:
    return {**_defaults(definition), **(given or {})}


def model_config(config: dict, environment: str, sources: tuple) -> ModelConfig:
    stages = {view.name: _stage(view) for view in inherit.iter_stages(config)}
    pipelines = config["pipelines"]
    enabled = switches.enabled_pipelines(config)  # a pipeline switched off here is not compiled
    model = config["model"]
    return ModelConfig(
        name=model["name"],
        environment=environment,
        description=model.get("description", ""),
        owner=model.get("owner", ""),
        tags=frozen_map(model.get("tags")),
        platform=_platform(config["platform"], model["name"]),
        runtimes=tuple(_runtime(name, spec, config["platform"]) for name, spec in sorted(config["runtimes"].items())),
        build=_build(config.get("build")),
        retrain=_retrain(pipelines["retrain"], stages) if "retrain" in enabled else None,
        deploy=_deploy(pipelines["deploy"], config, environment) if "deploy" in enabled else None,
        batch=_batch(pipelines["batch"], stages["batch"]) if "batch" in enabled else None,
        sources=tuple(sorted(sources, key=lambda source: source.path)),
        monitor=_monitor(config["monitor"], stages) if switches.monitor_on(config) else None,
        disabled=switches.disabled_pipelines(config) + (("monitor",) if "monitor" in config
                                                         and not switches.monitor_on(config) else ()),
    )


def source_file(path: str, content: bytes) -> SourceFile:
    return SourceFile(path, hashlib.sha256(content).hexdigest())


def _platform(platform: dict, model: str) -> Platform:
    roles = {role: names.role_arn(arn, model) for role, arn in platform["roles"].items()}
    return Platform(
        account=platform["account"],
        region=platform["region"],
        artifact_bucket=platform["artifact_bucket"],
        registry_table=platform["registry_table"],
        event_bus=platform.get("event_bus", "default"),
        notification_topic=platform["notification_topic"],
        pipeline_role=roles["pipeline"],
        task_role=roles["task"],
        ecs_cluster=platform.get("ecs_cluster"),
        subnets=tuple(platform.get("subnets", ())),
        security_groups=tuple(platform.get("security_groups", ())),
        kms_key=platform.get("kms_key"),
        partition=roles["pipeline"].split(":")[1],
        codeartifact=_codeartifact(platform),
    )


def _codeartifact(platform: dict) -> Optional[CodeArtifact]:
    given = platform.get("codeartifact")
    if given is None:
        return None
    given = _with_defaults("codeartifact", given)
    return CodeArtifact(domain=given["domain"], domain_owner=given.get("domain_owner", platform["account"]),
                        repository=given["repository"], region=given.get("region", platform["region"]),
                        create=given["create"])


def _runtime(name: str, spec: dict, platform: dict) -> Runtime:
    if "image" not in spec:
        return Runtime(name, spec["dockerfile"], spec.get("context", "."), frozen_map(spec.get("build_args")))
    return Runtime(name, None, ".", frozen_map({}), _prebuilt(spec["image"], platform), spec.get("code"))


def _prebuilt(image, platform: dict) -> PrebuiltImage:
    """The check `runtime-image` accepted `image`: a digest URI, or a map naming one AWS image."""
    partition = platform["roles"]["pipeline"].split(":")[1]
    if isinstance(image, str):
        match = images.DIGEST_URI.fullmatch(image)
        return PrebuiltImage(image, "digest", f"arn:{partition}:ecr:{match['region']}:{match['account']}:"
                                                f"repository/{match['repository']}")
    resolved = images.resolve(image, platform["region"], partition)
    return PrebuiltImage(resolved.uri, "aws-tag", resolved.repository_arn)


def _build(build: Optional[dict]) -> Build:
    build = _with_defaults("build", build)
    return Build(tuple(build.get("test_commands", ())), build["compute_type"], build["image"],
                 (build.get("publish") or {}).get("package"))


def _retry(given: dict) -> Retry:
    retry = _with_defaults("retry", given)
    return Retry(retry["max_attempts"], durations.seconds(retry["interval"]), float(retry["backoff_rate"]),
                 tuple(retry["errors"]))


def _stage(view: inherit.StageView) -> Stage:
    values = view.values
    kind = stage_graph.stage_kind(view.name, view.raw) if view.pipeline == "retrain" and view.name != "baseline" else None
    return Stage(
        name=view.name,
        kind=kind or "processing",
        runtime=values["runtime"],
        command=tuple(values["command"]) if values["command"] is not None else None,
        compute="sagemaker" if kind == "tuning" else values["compute"],
        cpu=values["cpu"],
        memory=values["memory"],
        instance_type=values["instance_type"],
        instance_count=values["instance_count"],
        volume_gb=values["volume_gb"],
        spot=values["spot"],
        timeout_seconds=durations.seconds(values["timeout"]),
        retry=_retry(values["retry"]),
        environment=frozen_map(values["environment"]),
        secrets=frozen_map(values["secrets"]),
        entry_point=values["entry_point"],
    )


def _retrain(retrain: dict, stages: dict) -> RetrainPipeline:
    triggers = retrain.get("triggers") or {}
    raw_stages = retrain["stages"]
    new_data = triggers.get("new_data")
    gate_stage = next((name for name, raw in sorted(raw_stages.items()) if "gate" in raw), "evaluate")
    tuning = stage_graph.tuning_stage(raw_stages)
    metrics = raw_stages.get(gate_stage, {}).get("metrics") or {}
    metrics_stage, metrics_output = stage_graph.split_source(metrics.get("from", gate_stage))
    return RetrainPipeline(
        data_source=retrain["data"]["source"],
        schedule=triggers.get("schedule"),
        new_data_prefix=s3_prefix.new_data_uri(retrain) if new_data is not None else None,
        new_data_marker=new_data.get("marker") if new_data is not None else None,
        on_commit=triggers.get("on_commit", False),
        validate=stages.get("validate"),
        transform=stages.get("transform"),
        tune=_tune(raw_stages[tuning], stages[tuning]) if tuning else None,
        train=stages["train"],
        hyperparameters=frozen_map({key: sagemaker_string(value)
                                    for key, value in raw_stages["train"].get("hyperparameters", {}).items()}),
        evaluate=stages.get("evaluate"),
        gate=tuple(_gate(condition) for condition in (raw_stages.get(gate_stage) or {}).get("gate", ())),
        approval=(retrain.get("register") or {}).get("approval", "manual"),
        distribution=_distribution(raw_stages["train"].get("distribution")),
        custom=frozen_map({name: stages[name] for name in raw_stages if name not in stage_graph.WELL_KNOWN_KINDS}),
        graph=frozen_map(_graph(raw_stages)),
        uses_graph=stage_graph.is_graph(raw_stages),
        metrics_stage=metrics_stage,
        metrics_output=metrics_output,
        metrics_file=metrics.get("file", _defaults("gate_metrics")["file"]),
        model_package_group=((retrain.get("register") or {}).get("sagemaker") or {}).get("model_package_group"),
    )


def _distribution(given: Optional[dict]) -> Optional[Distribution]:
    if given is None:
        return None
    return Distribution(given["type"], given.get("processes_per_host"))


def _graph(raw_stages: dict) -> dict:
    after = stage_graph.effective_after(raw_stages)
    return {name: GraphStage(name, stage_graph.stage_kind(name, raw), after[name],
                             tuple(_input(key, spec) for key, spec in sorted((raw.get("inputs") or {}).items())),
                             tuple(StageOutput(key, (spec or {}).get("path"))
                                   for key, spec in sorted((raw.get("outputs") or {}).items())))
            for name, raw in raw_stages.items()}


def _input(name: str, spec) -> StageInput:
    spec = {"from": spec} if isinstance(spec, str) else spec
    stage, output = stage_graph.split_source(spec["from"])
    return StageInput(name, spec["from"] if stage is None else None, stage, output, spec.get("content_type"),
                      spec.get("mode"), spec.get("distribution"), spec.get("path"))


def sagemaker_string(value: Any) -> str:
    """SageMaker takes hyper-parameters as strings; booleans as YAML users mean them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _tune(raw: dict, stage: Stage) -> Tune:
    tune = _with_defaults("tune_stage", raw)
    objective = tune["objective"]
    return Tune(
        stage=stage,
        strategy=tune["strategy"],
        objective_metric=objective["metric"],
        objective_goal=objective["goal"],
        objective_regex=objective.get("regex") or default_metric_regex(objective["metric"]),
        max_jobs=None if tune["strategy"] == "grid" else tune["max_jobs"],
        max_parallel_jobs=tune["max_parallel_jobs"],
        parameters=tuple(_tune_parameter(name, spec) for name, spec in sorted(tune["parameters"].items())),
        early_stopping=tune["early_stopping"],
        warm_start=tune["warm_start"]["type"] if "warm_start" in tune else None,
    )


def default_metric_regex(metric: str) -> str:
    """Finds `<metric>=<number>` (or `<metric>: <number>`) in a training job's log."""
    return re.escape(metric) + r"[=:]\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)"


def _tune_parameter(name: str, spec: dict) -> TuneParameter:
    if "values" in spec:
        return TuneParameter(name, "categorical", values=tuple(sagemaker_string(v) for v in spec["values"]))
    spec = _with_defaults("tune_parameter", spec)
    return TuneParameter(name, spec["type"], spec["min"], spec["max"], spec["scaling"])


def _gate(condition: dict) -> GateCondition:
    comparison = next(key for key in ("below", "above", "at_most", "at_least") if key in condition)
    return GateCondition(condition["metric"], comparison, condition[comparison])


def _deploy(deploy: dict, config: dict, environment: str) -> DeployPipeline:
    model = config["model"]["name"]
    traffic = _with_defaults("traffic", deploy.get("traffic"))
    poll = _with_defaults("poll", deploy.get("poll"))
    target = deploy["target"]
    return DeployPipeline(
        target=target,
        runtime=deploy["runtime"],
        environment=frozen_map(deploy.get("environment")),
        traffic=Traffic(
            mode=traffic["mode"],
            percent=traffic.get("percent"),
            interval_seconds=_traffic_interval(traffic, config),
            bake_seconds=durations.seconds(traffic["bake"]) if "bake" in traffic else 0,
            alarms=tuple(_alarm_name(alarm, model, environment) for alarm in traffic.get("alarms", ())),
        ),
        poll=Poll(durations.seconds(poll["interval"]), float(poll["backoff_rate"]), poll["max_attempts"]),
        endpoint=_endpoint(deploy.get("endpoint"), model, environment) if target == "sagemaker-endpoint" else None,
        function=_function(deploy.get("function"), model, environment) if target == "lambda" else None,
        service=_service(deploy.get("service"), model, environment) if target == "ecs-service" else None,
    )


def _traffic_interval(traffic: dict, config: dict) -> Optional[int]:
    """The wait between traffic steps: as written, or for canary and linear the rollback window
    (compiler/rollback.py); all-at-once has no steps."""
    if "interval" in traffic:
        return durations.seconds(traffic["interval"])
    if traffic["mode"] == "all-at-once":
        return None
    return durations.seconds(rollback.default_interval(config))


def _alarm_name(alarm: str, model: str, environment: str) -> str:
    if alarm.startswith(MONITOR_ALARM_PREFIX):
        return names.alarm(model, environment, alarm.removeprefix(MONITOR_ALARM_PREFIX))
    return alarm


def _endpoint(given: Optional[dict], model: str, environment: str) -> Endpoint:
    endpoint = {"instance_type": inherit.default("instance_type"), **_with_defaults("endpoint", given)}
    scaling = _autoscaling(endpoint.get("autoscaling"))
    return Endpoint(
        name=names.endpoint(model, environment, endpoint.get("name")),
        instance_type=endpoint["instance_type"],
        instance_count=endpoint["instance_count"],
        autoscaling_min=scaling["min"] if scaling else None,
        autoscaling_max=scaling["max"] if scaling else None,
        target_invocations=scaling["target_invocations"] if scaling else None,
        scale_in_cooldown_seconds=durations.seconds(scaling["scale_in_cooldown"]) if scaling else None,
        scale_out_cooldown_seconds=durations.seconds(scaling["scale_out_cooldown"]) if scaling else None,
        serverless=_serverless(endpoint.get("serverless")),
        asynchronous=_async_inference(endpoint.get("async")),
        variants=tuple(_variant(name, given_variant, endpoint["instance_type"])
                       for name, given_variant in sorted((endpoint.get("variants") or {}).items())),
        shadow=_shadow(endpoint.get("shadow"), endpoint["instance_type"]),
        shadow_production=_shadow_production(endpoint.get("shadow")),
    )


def _serverless(given: Optional[dict]) -> Optional[Serverless]:
    if not given:
        return None
    return Serverless(given["memory"], given["max_concurrency"], given.get("provisioned_concurrency"))


def _async_inference(given: Optional[dict]) -> Optional[AsyncInference]:
    if not given:
        return None
    backlog = package_data.schema()["$defs"]["endpoint"]["properties"]["async"]["properties"][
        "target_backlog_per_instance"]
    notifications = given.get("notifications") or {}
    return AsyncInference(given["output"], given.get("failure_output"), given.get("max_concurrent_invocations"),
                          given.get("target_backlog_per_instance", backlog["default"]),
                          notifications.get("success"), notifications.get("error"))


def _variant(name: str, given: dict, instance_type: str) -> Variant:
    """A variant runs on the endpoint's instance type unless it names its own."""
    return Variant(name=name, version=given["version"], weight=float(given["weight"]),
                   instance_type=given.get("instance_type", instance_type),
                   instance_count=given.get("instance_count", 1))


#: The shadow variant's name (VariantName), also its CloudWatch dimension.
SHADOW_VARIANT = "Shadow"


def _shadow(given: Optional[dict], instance_type: str) -> Optional[Variant]:
    if not given:
        return None
    shadow = {"version": "candidate", **given, "weight": given.get("sampling_percent", 100) / 100}
    return _variant(SHADOW_VARIANT, shadow, instance_type)


def _shadow_production(given: Optional[dict]) -> Optional[str]:
    """The version the production variant serves during a shadow test."""
    return given.get("production", "live") if given else None


def _autoscaling(given: Optional[dict]) -> Optional[dict]:
    """An endpoint's autoscaling with the schema's defaults (target, cooldowns) filled in."""
    if not given:
        return None
    properties = package_data.schema()["$defs"]["endpoint"]["properties"]["autoscaling"]["properties"]
    return {**{key: spec["default"] for key, spec in properties.items() if "default" in spec}, **given}


def _function(given: Optional[dict], model: str, environment: str) -> Function:
    function = _with_defaults("function", given)
    return Function(names.lambda_function(model, environment, function.get("name")), function["memory"],
                    durations.seconds(function["timeout"]), function["alias"])


def _service(given: Optional[dict], model: str, environment: str) -> Service:
    service = {"cpu": inherit.default("cpu"), "memory": inherit.default("memory"), **_with_defaults("service", given)}
    return Service(names.ecs_service(model, environment, service.get("name")), service["desired_count"],
                   service["cpu"], service["memory"], service["port"])


def _batch(batch: dict, stage: Stage) -> BatchPipeline:
    batch = _with_defaults("batch", batch)
    return BatchPipeline(batch["mode"], stage, batch["input"], batch["output"], batch.get("schedule"),
                         batch["batch_size"], batch["max_concurrency"], float(batch["tolerated_failure_percent"]),
                         _transform(batch) if batch["mode"] == "transform" else None)


def _transform(batch: dict) -> Transform:
    given = batch.get("transform") or {}
    properties = package_data.schema()["$defs"]["batch"]["properties"]["transform"]["properties"]
    settings = {**{key: spec["default"] for key, spec in properties.items() if "default" in spec}, **given}
    return Transform(**{field: settings.get(field) for field in Transform.__dataclass_fields__})


def _monitor(monitor: dict, stages: dict) -> Monitor:
    capture = _with_defaults("monitor_capture", monitor.get("capture"))
    return Monitor(
        sampling_percent=capture["sampling_percent"],
        baseline=stages.get("baseline"),
        drift=_drift(monitor["drift"], stages.get("drift")) if "drift" in monitor else None,
        health=_health(monitor["health"]) if "health" in monitor else None,
    )


def _drift(given: dict, job: Optional[Stage]) -> Drift:
    drift = _with_defaults("monitor_drift", given)
    return Drift(drift["schedule"], frozen_map(drift["features"]), drift["evaluation_periods"], job, drift["retrain"],
                 drift["cooldown"])


def _health(given: dict) -> Health:
    health = _with_defaults("monitor_health", given)
    return Health(health.get("max_error_rate"), health.get("max_latency_p99_ms"),
                  health.get("min_invocations_per_hour"), health["evaluation_periods"])
