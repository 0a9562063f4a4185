"""The registry items `apply` writes for one model and environment (see docs/registry.md, Registry items)."""

from __future__ import annotations

from compiler.model import ModelConfig, Runtime
from compiler.render.naming import Naming
from compiler.render.stages import container_stages, retrain_stages


def pointers(naming: Naming) -> dict:
    config = naming.config
    task_definitions = {}
    for pipeline, stage in container_stages(config):
        if stage.compute == "fargate":
            task_definitions[f"{pipeline}-{stage.name}"] = {
                "family": naming.task_family(pipeline, stage.name),
                "runtime": stage.runtime,
                "cpu": stage.cpu,
                "memory": stage.memory,
                "secrets": dict(stage.secrets),
                "log_group": naming.task_log_group,
                # A prebuilt image is known now; apply takes a built one from images.json.
                **_prebuilt_image(config.runtime(stage.runtime)),
            }
    published = _published_package(config)
    return {
        "table": config.platform.registry_table,
        "key": {"pk": naming.model_key, "sk": naming.pointers_key},
        # The images the build stage builds and apply writes (by digest); prebuilt ones are in the
        # definitions, and listed under settings.
        "images": {runtime.name: {"repository": f"{naming.registry_host()}/{naming.repository(runtime.name)}",
                                  "uri": None}
                   for runtime in config.built_runtimes},
        "task_definitions": task_definitions,
        "state_machines": {pipeline: {"name": naming.state_machine(pipeline), "arn": naming.state_machine_arn(pipeline)}
                           for pipeline in config.pipelines},
        "settings": _settings(config),
        **published,
    }


def _published_package(config: ModelConfig) -> dict:
    """With build.publish, apply records the package the build published (its published.json, beside
    images.json) in the pointers, from where each model version registered keeps it."""
    codeartifact = config.platform.codeartifact
    if config.build.publish is None:  # rule codeartifact: build.publish comes with platform.codeartifact
        return {}
    return {"package": {"repository": f"{codeartifact.domain}/{codeartifact.repository}"}}


def _prebuilt_image(runtime: Runtime) -> dict:
    return {} if runtime.built else {"image": runtime.image.uri}


def prebuilt_images(config: ModelConfig) -> dict:
    """Runtime -> the prebuilt image it runs and how it is pinned: `digest` (an ECR image by digest,
    as written) or `aws-tag` (an AWS-provided image: AWS publishes those by tag only)."""
    return {runtime.name: {"uri": runtime.image.uri, "pinned": runtime.image.pinned}
            for runtime in config.runtimes if not runtime.built}


def _settings(config: ModelConfig) -> dict:
    """A summary of the compiled pipeline settings, kept with the pointers for people and tools."""
    settings: dict = {"pipelines": list(config.pipelines)}
    if prebuilt_images(config):
        settings["prebuilt_images"] = prebuilt_images(config)
    if config.retrain:
        settings["retrain"] = {"approval": config.retrain.approval, "on_commit": config.retrain.on_commit,
                               "stages": [s.name for s in retrain_stages(config)],
                               "tune": config.retrain.tune is not None}
        if config.retrain.model_package_group:  # apply creates the group (compiler/apply/model_registry.py)
            settings["retrain"]["model_package_group"] = config.retrain.model_package_group
    if config.deploy:
        settings["deploy"] = {"target": config.deploy.target, "runtime": config.deploy.runtime,
                              "traffic": config.deploy.traffic.mode}
    if config.batch:
        settings["batch"] = {"mode": config.batch.mode, "input": config.batch.input, "output": config.batch.output}
    return settings
