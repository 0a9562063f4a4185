"""Every key the schema accepts changes the compiled output, or is refused (issue 13, item 5).

For every leaf of schemas/config-v1.schema.json that a config can set, a sample config that has
the key's section is compiled as it is and with that one key set to another valid value; the two
outputs (every file of every environment) must differ, or validate must refuse the changed config.
A key that is accepted and changes nothing would be silently ignored.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from compile_helpers import SAMPLES, SAMPLES_PLATFORM, make_repo
from compiler import api
from paths import REPO_ROOT

pytestmark = pytest.mark.e2e  # compiles one config per schema key

SCHEMA = json.loads((REPO_ROOT / "schemas" / "config-v1.schema.json").read_text())
STAGE_SECTIONS = {("pipelines", "retrain", "stages", s) for s in ("validate", "transform", "tune", "train", "evaluate")} | {
    ("pipelines", "batch"), ("monitor", "baseline"), ("monitor", "drift", "job"), ("stage_defaults",)}


# --------------------------------------------------------------------------- the schema's leaves

def _resolve(reference: str) -> dict:
    node = SCHEMA
    for part in reference[2:].split("/"):
        node = node[part]
    return node


def _merged(schema: dict) -> dict:
    found = dict(_merged(_resolve(schema["$ref"]))) if "$ref" in schema else {}
    for part in schema.get("allOf", []):
        found.update(_merged(part))
    found.update(schema.get("properties", {}))
    return found


def _additional(schema: dict):
    if "additionalProperties" in schema:
        return schema["additionalProperties"]
    return _additional(_resolve(schema["$ref"])) if "$ref" in schema else None


def _flat(schema: dict) -> dict:
    """A leaf's own schema, its $ref followed (type, enum, minimum, ...)."""
    return {**(_flat(_resolve(schema["$ref"])) if "$ref" in schema else {}),
            **{k: v for k, v in schema.items() if k != "$ref"}}


def leaves(schema: dict = SCHEMA, path: tuple = ()) -> dict:
    """path -> schema of every leaf; `*` stands for a key of a map (runtimes, parameters, ...)."""
    properties = _merged(schema)
    if properties:
        found = {}
        for key, sub in properties.items():
            found.update(leaves(sub, path + (key,)))
        return found
    additional = _additional(schema)
    if isinstance(additional, dict) and _merged(additional):
        return leaves(additional, path + ("*",))
    return {path: _flat(schema)}


LEAVES = leaves()


# --------------------------------------------------------------------------- the configs they are set in

def _sample(folder: str) -> dict:
    return yaml.safe_load((SAMPLES / folder / "mlops.yaml").read_text())


def _ecs_service() -> dict:
    config = _sample("churn-fargate")
    config["pipelines"]["deploy"] = {"target": "ecs-service", "runtime": "trainer",
                                     "service": {"desired_count": 2, "cpu": 512, "memory": 1024, "port": 8080},
                                     "traffic": {"mode": "all-at-once"}}
    return config


def _drift_job_on_sagemaker() -> dict:
    config = _sample("fraud-lambda")
    job = config["monitor"]["drift"]["job"]
    for fargate_only in ("cpu", "memory"):
        job.pop(fargate_only, None)
    job.update(compute="sagemaker", instance_type="ml.m5.large")
    return config


def _lambda_single_environment() -> dict:
    """fraud-lambda without its overlays (each of which sets its own function memory)."""
    config = _sample("fraud-lambda")
    del config["environments"]
    return config


def _churn_inheriting_command() -> dict:
    """churn-fargate whose validate stage runs stage_defaults' command."""
    config = _sample("churn-fargate")
    del config["pipelines"]["retrain"]["stages"]["validate"]["command"]
    config["stage_defaults"]["command"] = ["python", "-m", "churn.validate"]
    return config


def _prebuilt() -> dict:
    """demand-forecast on prebuilt images: scikit-learn's runs the transform's script (code), the
    built-in XGBoost tunes, trains and evaluates."""
    config = _sample("demand-forecast")
    config["runtimes"].update(prep={"image": {"framework": "sklearn", "version": "1.2-1"}, "code": "src/prep"},
                              xgb={"image": {"framework": "xgboost", "version": "1.7-1"}})
    return config


def _prebuilt_hugging_face() -> dict:
    """demand-forecast with a Hugging Face image named by every key an image map has."""
    config = _sample("demand-forecast")
    config["runtimes"]["hf"] = {"image": {"framework": "huggingface", "version": "4.6.1", "base_framework": "pytorch1.7.1",
                                          "scope": "training", "processor": "gpu", "py_version": "py36"}}
    return config


def _stage_graph() -> dict:
    """demand-forecast with named inputs and outputs (the stage graph): transform writes
    `features`, train and evaluate read it by name, evaluate writes `report` where the gate reads."""
    config = _sample("demand-forecast")
    stages = config["pipelines"]["retrain"]["stages"]
    stages["transform"]["outputs"] = {"features": {}}
    stages["train"]["inputs"] = {"train": {"from": "transform.features", "content_type": "text/csv"}}
    stages["evaluate"].update(inputs={"model": {"from": "train.model"}, "test": {"from": "transform.features"}},
                              outputs={"report": {}}, metrics={"from": "evaluate.report", "file": "metrics.json"})
    return config


def _serverless_endpoint() -> dict:
    """demand-forecast served by Serverless Inference (its monitor: the health alarms only)."""
    config = _sample("demand-forecast")
    config["pipelines"]["deploy"]["endpoint"] = {"serverless": {"memory": 2048, "max_concurrency": 20,
                                                                "provisioned_concurrency": 2}}
    config["monitor"] = {"health": config["monitor"]["health"]}
    return config


def _async_endpoint() -> dict:
    """demand-forecast served by Asynchronous Inference, scaled on its backlog from zero."""
    config = _sample("demand-forecast")
    endpoint = config["pipelines"]["deploy"]["endpoint"]
    endpoint["autoscaling"]["min"] = 0
    endpoint["async"] = {"output": "s3://acme-ml-artifacts/async/", "failure_output": "s3://acme-ml-artifacts/failed/",
                         "max_concurrent_invocations": 4,
                         "notifications": {"success": "arn:aws:sns:eu-west-1:111111111111:async-ok",
                                           "error": "arn:aws:sns:eu-west-1:111111111111:async-error"}}
    return config


def _endpoint_variants(keys: dict) -> dict:
    """demand-forecast's endpoint unscaled (the endpoint-variants rule), all at once, with `keys`."""
    config = _sample("demand-forecast")
    endpoint = config["pipelines"]["deploy"]["endpoint"]
    del endpoint["autoscaling"]
    endpoint.update(keys)
    config["pipelines"]["deploy"]["traffic"] = {"mode": "all-at-once"}
    return config


BASES = {"churn-fargate": lambda: _sample("churn-fargate"), "demand-forecast": lambda: _sample("demand-forecast"),
         "fraud-lambda": lambda: _sample("fraud-lambda"), "ecs-service": _ecs_service,
         "drift-sagemaker": _drift_job_on_sagemaker, "lambda-single": _lambda_single_environment,
         "churn-defaults": _churn_inheriting_command, "prebuilt": _prebuilt, "prebuilt-hf": _prebuilt_hugging_face,
         "stage-graph": _stage_graph, "serverless": _serverless_endpoint, "async": _async_endpoint,
         "ab-variants": lambda: _endpoint_variants({"variants": {"blue": {"version": "live", "weight": 80},
                                                                 "green": {"version": "candidate", "weight": 20}}}),
         "shadow": lambda: _endpoint_variants({"shadow": {"version": "candidate"}})}


def _get(config, path):
    for key in path:
        if not isinstance(config, dict) or key not in config:
            return None
        config = config[key]
    return config


def _concrete(config: dict, path: tuple) -> tuple | None:
    """`path` with each `*` replaced by a key the config has there (one that has the next key)."""
    concrete = ()
    for index, key in enumerate(path):
        if key == "*":
            entries = _get(config, concrete) or {}
            keys = sorted(entries)
            if not keys:
                return None
            following = path[index + 1] if index + 1 < len(path) else None
            key = next((k for k in keys if isinstance(entries[k], dict) and following in entries[k]), keys[0])
        concrete += (key,)
    return concrete


def _depth(config: dict, path: tuple) -> int:
    """How much of `path` the config has already."""
    concrete = _concrete(config, path) or ()
    return max((n for n in range(len(concrete) + 1) if _get(config, concrete[:n]) is not None), default=0)


#: Where a leaf is tried: the first base whose config has the leaf's parent (else its section).
PREFERRED = {
    ("pipelines", "deploy", "service"): ["ecs-service"],
    ("monitor", "drift", "job"): ["drift-sagemaker", "fraud-lambda"],
    ("pipelines", "deploy", "target"): ["fraud-lambda"],
    ("pipelines", "deploy", "function"): ["lambda-single"],
    ("pipelines", "deploy", "endpoint", "serverless"): ["serverless"],
    ("pipelines", "deploy", "endpoint", "async"): ["async"],
    ("pipelines", "deploy", "endpoint", "variants"): ["ab-variants"],
    ("pipelines", "deploy", "endpoint", "shadow"): ["shadow"],
    ("stage_defaults", "command"): ["churn-defaults"],
    # SageMaker settings of the defaults: a config whose stages run on SageMaker
    ("stage_defaults", "instance_type"): ["demand-forecast"], ("stage_defaults", "instance_count"): ["demand-forecast"],
    ("stage_defaults", "volume_gb"): ["demand-forecast"], ("stage_defaults", "spot"): ["demand-forecast"],
    # An image map's selectors, on an image that has several of each; its name, and code folders
    ("runtimes", "*", "image", "scope"): ["prebuilt-hf"], ("runtimes", "*", "image", "processor"): ["prebuilt-hf"],
    ("runtimes", "*", "image", "py_version"): ["prebuilt-hf"], ("runtimes", "*", "image", "base_framework"): ["prebuilt-hf"],
    ("runtimes", "*", "image"): ["prebuilt"], ("runtimes", "*", "code"): ["prebuilt"],
    # named inputs and outputs, and where the gate reads: the one base that has them
    **{("pipelines", "retrain", "stages", stage, key): ["stage-graph"]
       for stage in ("transform", "tune", "train", "evaluate") for key in ("inputs", "outputs", "metrics")},
}


def _bases_for(path: tuple) -> list[str]:
    for prefix, names in PREFERRED.items():
        if path[: len(prefix)] == prefix:
            return names
    return list(BASES)


# --------------------------------------------------------------------------- another valid value

#: Values for leaves whose schema alone does not give one (patterns, references, cross-rules).
VALUES = {
    "version": None,  # the only version there is: nothing else to set
    "model.name": "renamed-model",
    "model.description": "Another description.",
    "model.owner": "another-team",
    "model.tags": {"extra": "tag"},
    "pipelines.deploy.endpoint.variants.*.version": "v7",  # a version id instead of live/candidate
    "pipelines.deploy.endpoint.variants.*.instance_type": "ml.m5.large",
    "pipelines.deploy.endpoint.shadow.version": "v7",
    "pipelines.deploy.endpoint.shadow.production": "candidate",  # then the shadow (also candidate) is refused
    "pipelines.deploy.endpoint.shadow.instance_type": "ml.m5.large",
    # Batch Transform's strings (abalone's staging sets them: another value, not a new one)
    "pipelines.batch.transform.accept": "application/jsonlines",
    "pipelines.batch.transform.content_type": "application/json",
    "pipelines.batch.transform.input_filter": "$[2:]",
    "pipelines.batch.transform.output_filter": "$[0]",
    "runtimes.*.dockerfile": "docker/other.Dockerfile",
    "runtimes.*.context": "docker",
    "runtimes.*.build_args": {"EXTRA": "1"},
    "runtimes.*.image.framework": "xgboost",  # scikit-learn's 1.2-1 -> XGBoost's 1.2-1
    "runtimes.*.image.version": "1.0-1",
    "runtimes.*.image.base_framework": "pytorch1.8.1",
    "runtimes.*.image.py_version": "py37",  # refused: no such image
    "runtimes.*.code": "src/other",
    "build.test_commands": ["make test"],
    "build.image": "aws/codebuild/standard:6.0",
    "build.publish.package": ".",  # with a platform naming a CodeArtifact repository (_platform_for)
    "pipelines.retrain.data.source": "s3://acme-ml-data/other/",
    "pipelines.retrain.register.sagemaker.model_package_group": "other-group",  # abalone's staging sets it
    "pipelines.retrain.triggers.schedule": "rate(7 days)",
    "pipelines.retrain.triggers.new_data.prefix": "other/",
    "pipelines.retrain.triggers.new_data.marker": "_DONE",
    "pipelines.retrain.stages.tune.objective.metric": "other:metric",
    "pipelines.retrain.stages.tune.objective.regex": "other=([0-9.]+)",
    "pipelines.retrain.stages.tune.parameters.*.values": ["a", "b", "c"],
    "pipelines.retrain.stages.train.hyperparameters": {"extra": 1},
    "pipelines.retrain.stages.evaluate.gate": [{"metric": "other", "below": 1}],
    "pipelines.deploy.environment": {"EXTRA": "1"},
    "pipelines.deploy.endpoint.name": "other-endpoint",
    "pipelines.deploy.endpoint.instance_type": "ml.c5.2xlarge",
    "pipelines.deploy.endpoint.autoscaling.min": 1,
    "pipelines.deploy.endpoint.async.output": "s3://acme-ml-artifacts/other-async/",
    "pipelines.deploy.endpoint.async.failure_output": "s3://acme-ml-artifacts/other-failed/",
    "pipelines.deploy.endpoint.async.notifications.success": "arn:aws:sns:eu-west-1:111111111111:other-ok",
    "pipelines.deploy.endpoint.async.notifications.error": "arn:aws:sns:eu-west-1:111111111111:other-error",
    "pipelines.deploy.service.cpu": 256,
    "pipelines.deploy.target": "ecs-service",
    "pipelines.deploy.function.name": "other-function",
    "pipelines.deploy.function.alias": "other",
    "pipelines.deploy.service.name": "other-service",
    "pipelines.deploy.traffic.alarms": ["some-alarm"],
    "pipelines.batch.input": "s3://acme-ml-data/other-input/",
    "pipelines.batch.output": "s3://acme-ml-artifacts/other-output/",
    "pipelines.batch.schedule": "rate(7 days)",
    "monitor.drift.features": ["other_feature"],
    # The stage graph: a well-known stage's kind is fixed (another is refused); `after` moves it
    # (validate after evaluate is a cycle, refused; train after nothing skips tune, refused).
    **{f"pipelines.retrain.stages.{stage}.kind": "training" if stage in ("validate", "transform", "evaluate")
       else "processing" for stage in ("validate", "transform", "tune", "train", "evaluate")},
    "pipelines.retrain.stages.validate.after": ["evaluate"],
    **{f"pipelines.retrain.stages.{stage}.after": [] for stage in ("transform", "tune", "train", "evaluate")},
    **{f"pipelines.retrain.stages.{stage}.inputs.*.{key}": value
       for stage in ("validate", "transform", "tune", "train", "evaluate")
       for key, value in (("from", "s3://acme-ml-data/other/"), ("content_type", "application/x-parquet"),
                          ("mode", "Pipe"), ("distribution", "ShardedByS3Key"),
                          ("path", "/opt/ml/processing/other"))},
    **{f"pipelines.retrain.stages.{stage}.outputs.*.path": "/opt/ml/processing/output/other"
       for stage in ("validate", "transform", "tune", "train", "evaluate")},
    "pipelines.retrain.stages.evaluate.metrics.from": "evaluate",
    "pipelines.retrain.stages.evaluate.metrics.file": "other.json",
}
STAGE_VALUES = {"command": ["python", "-m", "other"], "environment": {"EXTRA": "1"},
                "secrets": {"EXTRA_SECRET": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:other-AbCdEf"},
                "retry.errors": ["States.Timeout"], "instance_type": "ml.c5.2xlarge",
                # script mode: refused but on a SageMaker training stage on a runtime with `code` (rule script-mode)
                "entry_point": "main.py"}
MOVES = {"account": ("111111111111", "333333333333"), "region": ("eu-west-1", "us-east-1")}
PLATFORM_VALUES = {"artifact_bucket": "other-artifacts",
                   "registry_table": "other-registry", "event_bus": "other-bus",
                   "notification_topic": "arn:aws:sns:eu-west-1:111111111111:other-topic", "ecs_cluster": "other",
                   "subnets": ["subnet-0123456789abcdef0"], "security_groups": ["sg-0fedcba9876543210"],
                   "roles.pipeline": "arn:aws:iam::111111111111:role/other-{model}-pipeline",
                   "roles.task": "arn:aws:iam::111111111111:role/other-{model}-task",
                   "kms_key": "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555",
                   # set on a platform that names a repository already (_platform_for)
                   "codeartifact.domain": "other-domain", "codeartifact.repository": "other-repo",
                   "codeartifact.domain_owner": "222222222222", "codeartifact.region": "us-east-1"}
#: The CodeArtifact repository of the platform the codeartifact keys and build.publish are tried on.
CODEARTIFACT = {"domain": "acme", "repository": "ml-packages"}


def _platform_for(path: tuple) -> dict:
    """The samples' platform; with a CodeArtifact repository for its keys and build.publish."""
    platform = yaml.safe_load(SAMPLES_PLATFORM.read_text())
    if path[:2] in (("platform", "codeartifact"), ("build", "publish")):
        platform["codeartifact"] = dict(CODEARTIFACT)
    return platform


def _other(schema: dict, current):
    """Another valid value, from the schema: enum, boolean, bounded number, duration."""
    current = schema.get("default") if current is None else current
    if "enum" in schema:  # the next value up (a larger size keeps a Fargate cpu/memory pair valid), else any other
        later = schema["enum"][schema["enum"].index(current) + 1:] if current in schema["enum"] else []
        return next((v for v in later + schema["enum"] if v != current), None)
    kind = schema.get("type")
    if kind == "boolean":
        return not current if current is not None else not schema.get("default", False)
    if kind in ("integer", "number"):
        value = current if current is not None else schema.get("default", schema.get("minimum", 1))
        low, high = schema.get("minimum", float("-inf")), schema.get("maximum", float("inf"))
        step = 1 if kind == "integer" else 0.5
        return value + step if value + step <= high else value - step if value - step >= low else None
    if schema.get("pattern", "").startswith("^[1-9][0-9]{0,6}[smhd]"):  # a duration
        return "7m" if current != "7m" else "8m"
    return None


def _value_for(path: tuple, schema: dict, current, config: dict):
    dotted = ".".join(path)
    if path[-1] == "runtime":  # another runtime the config defines
        return next((name for name in sorted(config.get("runtimes", {})) if name != current), None)
    if dotted in VALUES:
        return VALUES[dotted]
    for section in STAGE_SECTIONS:
        if path[: len(section)] == section and ".".join(path[len(section):]) in STAGE_VALUES:
            return STAGE_VALUES[".".join(path[len(section):])]
    return _other(schema, current)


def _effective(config: dict, path: tuple):
    """The value the key has now: set there, or inherited (a stage from stage_defaults; tune
    from train first), so that the new value differs from what the stage already gets."""
    found = _get(config, path)
    if found is not None:
        return found
    for section in STAGE_SECTIONS:
        if path[: len(section)] == section and section != ("stage_defaults",):
            key = path[len(section):]
            layers = [("pipelines", "retrain", "stages", "train")] if section[-1] == "tune" else []
            for layer in layers + [("stage_defaults",)]:
                if _get(config, layer + key) is not None:
                    return _get(config, layer + key)
    return None


def _set(config: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        config = config.setdefault(key, {})
    config[path[-1]] = value


# --------------------------------------------------------------------------- compile and compare

def _compile(tmp_path: Path, name: str, config: dict, platform: dict):
    parent = tmp_path / name
    parent.mkdir()
    (parent / "mlops-platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    repo = make_repo(parent, "repo", config, platform=parent / "mlops-platform.yaml")
    return api.compile_outputs([str(repo)])


def _about(problem, path: tuple, value) -> bool:
    """A problem is about the changed key: it names the key, or its section (another key of the
    section no longer fits, e.g. Fargate sizes after `compute` changed), or the new value (a
    deploy `target` whose section is missing), or it judges a stage's keys against a changed
    `compute`, or its hint names the key as the other way out (a rollback alarm window longer
    than the traffic interval is reported at `interval`, with `monitor.health.evaluation_periods`
    in the hint)."""
    section = ".".join(k for k in path[:-1] if k != "*")
    dotted = ".".join(path)
    return path[-1] in problem.path or (bool(section) and problem.path.startswith(section)) or \
        ("*" not in path and dotted in problem.hint) or \
        (isinstance(value, str) and f"target {value}" in f"{problem.message} {problem.hint}") or \
        (path[-1] == "compute" and problem.rule == "stage-compute")


#: Keys that change the output of another command than compile, where they are tested.
OTHER_OUTPUTS = {
    ("build", "compute_type"): "mlopsc bootstrap model: the CodeBuild project (test_bootstrap.py "
                               "test_build_project_runs_the_generated_buildspec)",
    ("build", "image"): "mlopsc bootstrap model: the CodeBuild project (same test)",
    ("platform", "codeartifact", "create"): "mlopsc bootstrap platform: the CodeArtifact domain and repositories "
                                            "(test_bootstrap.py test_platform_stack_creates_the_domain_and_a_pypi_upstream)",
}


#: Keys with a single allowed value: nothing else can be set, so there is no change to observe.
SINGLE_VALUED = {("version",): "the config language version: the schema allows only 1"}


def _cases():
    for path, schema in sorted(LEAVES.items()):
        if path[:1] == ("environments",):
            continue  # overlays: the same keys, merged before compiling (test below)
        if path not in OTHER_OUTPUTS and path not in SINGLE_VALUED:
            yield pytest.param(path, schema, id=".".join(path))


@pytest.mark.parametrize("path, schema", list(_cases()))
def test_setting_the_key_changes_the_output_or_is_refused(tmp_path, path, schema):
    platform = _platform_for(path)
    value = None
    if path[0] == "platform":
        base_name, base = "churn-fargate", BASES["churn-fargate"]()
        key = ".".join(path[1:])
        before_platform, after_platform = platform, copy.deepcopy(platform)
        if key in MOVES:  # the account or region: with the ARNs that name it, so they stay consistent
            after_platform = yaml.safe_load(yaml.safe_dump(platform).replace(*MOVES[key]))
        else:
            _set(after_platform, path[1:], PLATFORM_VALUES[key])
        before = _compile(tmp_path, "before", base, before_platform)
        after = _compile(tmp_path, "after", base, after_platform)
    else:
        candidates = [(n, BASES[n]()) for n in _bases_for(path)]
        base_name, base = max(candidates, key=lambda candidate: _depth(candidate[1], path))  # the first of the deepest
        concrete = _concrete(base, path) or tuple(k for k in path if k != "*")
        value = _value_for(path, schema, _effective(base, concrete), base)
        assert value is not None, f"{'.'.join(path)}: no other value to set (list it in SINGLE_VALUED with why)"
        changed = copy.deepcopy(base)
        _set(changed, concrete, value)
        before = _compile(tmp_path, "before", base, platform)
        after = _compile(tmp_path, "after", changed, platform)
    assert before.validation.ok, (base_name, before.validation.problems)
    if not after.validation.ok:  # refused: by a problem about this key or its section
        assert any(_about(problem, path, value) for problem in after.validation.problems), after.validation.problems
        return
    assert _meaning(after.outputs) != _meaning(before.outputs), \
        f"{'.'.join(path)} (in {base_name}) is accepted and changes nothing"


def _meaning(outputs: dict) -> dict:
    """The outputs without what any edit changes: the manifest's hashes of the files read (the
    config's own text) and of the files written (covered by the files themselves)."""
    found = {}
    for target, files in outputs.items():
        for name, text in files.items():
            if name == "manifest.json":
                manifest = json.loads(text)
                manifest.pop("inputs")
                manifest.pop("outputs")
                text = json.dumps(manifest, sort_keys=True)
            found[f"{target}/{name}"] = text
    return found


def test_every_leaf_is_tried():
    tried = [p for p in LEAVES if p[:1] != ("environments",) and p not in OTHER_OUTPUTS]
    assert len(tried) > 200 and ("pipelines", "retrain", "stages", "tune", "command") in tried
    assert set(OTHER_OUTPUTS) <= set(LEAVES)


def test_the_build_keys_exempted_here_reach_the_bootstrap_template():
    source = (REPO_ROOT / "tests" / "bootstrap" / "test_bootstrap.py").read_text()
    assert 'project["Environment"]["ComputeType"] == config.build.compute_type' in source
    assert 'project["Environment"]["Image"] == config.build.image' in source


def test_an_environment_overlay_changes_the_output(tmp_path):
    config = _sample("churn-fargate")
    changed = copy.deepcopy(config)
    changed["environments"] = {"default": {"stage_defaults": {"timeout": "45m"}}}
    platform = yaml.safe_load(SAMPLES_PLATFORM.read_text())
    before, after = _compile(tmp_path, "before", config, platform), _compile(tmp_path, "after", changed, platform)
    assert before.validation.ok and after.validation.ok, after.validation.problems
    assert _meaning(after.outputs) != _meaning(before.outputs)
