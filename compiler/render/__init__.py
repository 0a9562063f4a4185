"""Model -> the files of one model and environment, as text (nothing touches the disk here)."""

from __future__ import annotations

from compiler import __version__
from compiler.aws_data import images as aws_images
from compiler.artifacts.format import FORMAT_VERSION, MANIFEST, sha256, to_json, to_yaml
from compiler.model import ModelConfig
from compiler.render import alarms, asl, buildspec, iam, pointers, triggers
from compiler.render.naming import Naming


def render_files(config: ModelConfig) -> dict[str, str]:
    """File name -> content for OUT/<model>/<env>/, manifest last. The model environment's Naming
    is built here, once, and handed to every renderer."""
    naming = Naming(config)
    definitions = asl.definitions(naming)
    files = {f"{pipeline}.asl.json": to_json(definition) for pipeline, definition in definitions.items()}
    files["buildspec.yml"] = to_yaml(buildspec.buildspec(naming))
    files["pointers.json"] = to_json(pointers.pointers(naming))
    files["triggers.json"] = to_json(triggers.triggers(naming))
    files["iam.json"] = to_json(iam.roles(naming, definitions))
    monitoring = alarms.monitor(naming)
    if monitoring is not None:
        files["monitor.json"] = to_json(monitoring)
    files[MANIFEST] = to_json(_manifest(naming, files))
    return files


def _manifest(naming: Naming, files: dict[str, str]) -> dict:
    config = naming.config
    manifest = {
        "format_version": FORMAT_VERSION,
        "compiler": {"name": "mlopsc", "version": __version__},
        "model": config.name,
        "environment": config.environment,
        # model.description and model.owner: for the people and tools that read OUT (who to ask).
        "description": config.description,
        "owner": config.owner,
        "target": _target(naming),
        # What the config writes but this environment switches off (`enabled: false`): not
        # compiled here, and removed by apply where an earlier apply created it.
        **({"disabled": list(config.disabled)} if config.disabled else {}),
        **_prebuilt(config),
        "inputs": [{"path": source.path, "sha256": source.sha256} for source in config.sources],
        "outputs": [{"path": name, "sha256": sha256(text)} for name, text in sorted(files.items())],
    }
    return manifest


def _prebuilt(config: ModelConfig) -> dict:
    """The images the build stage does not build, and how each is pinned (only when there are any)."""
    images = pointers.prebuilt_images(config)
    if not images:
        return {}
    if all(image["pinned"] == "digest" for image in images.values()):
        return {"prebuilt_images": images}
    # AWS-provided images were resolved from this revision of the SageMaker SDK's registry data.
    source = aws_images.data()["source"]
    return {"prebuilt_images": images,
            "aws_images_source": f"{source['repository']} {source['path']} at {source['revision']}"}


def _target(naming: Naming) -> dict:
    """Where and as whom `apply` creates this environment's resources (it refuses any other account)."""
    config = naming.config
    return {
        "account": config.platform.account,
        "region": config.platform.region,
        "partition": config.platform.partition,
        "pipeline_role": config.platform.pipeline_role,
        "task_role": config.platform.task_role,
        "log_group": naming.state_machine_log_group,
        "event_bus": config.platform.event_bus,
        # Where a version promoted from another account gets its model data (registry promote).
        "artifact_bucket": config.platform.artifact_bucket,
        "tags": alarms.environment_tags(config),
    }
