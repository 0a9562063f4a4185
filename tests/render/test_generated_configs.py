"""Configurations no sample has (issue 14, section 2): a property-based test.

Each example starts from one of the BASES (the three samples, plus fraud-scoring served by an ECS
service so that every `deploy.target` is a base) and walks it along schemas/config-v1.schema.json:
every key the schema does not require is kept or dropped, and every value the schema gives as an
`enum` (batch mode, compute, traffic mode, approval, ...) is drawn from the enum. What `mlopsc
validate` accepts must then compile (compiler.api.compile_outputs) with no problem and no
exception; a config validate refuses is not an example (`assume`), and the share of accepted ones
is checked so the generator cannot drift into producing nothing valid.

Every definition compiled this way is also given to the npm asl-validator, once, in one process,
after the examples ran (test_asl_validator_accepts_every_generated_definition), because one node
start per example would cost more than all the compiles.

A failing example is kept: its config is printed as YAML with the file name to save it under
tests/render/generated_configs/ (REGRESSIONS); every file there is compiled by
test_regression_configs_compile, whatever the generator draws later. Once `compile_outputs`
proves each definition with `mlopsc verify` (issue 14, section 1), this is a proof test too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from compile_helpers import AslValidator
from compiler import api
from paths import REPO_ROOT

pytestmark = pytest.mark.e2e  # npm tools and cfn-lint on generated configs

REPO = REPO_ROOT
SAMPLES = REPO / "samples"
SCHEMA = json.loads((REPO / "schemas" / "config-v1.schema.json").read_text())
REGRESSIONS = Path(__file__).resolve().parent / "generated_configs"
EXAMPLES = 200
#: Each compiled definition of an example: label -> definition, for the one asl-validator run.
COMPILED: dict[str, dict] = {}
TRIED = {"examples": 0, "valid": 0}
#: What the valid examples covered (deploy targets, batch mode/compute, traffic modes, absences).
COVERED: dict[str, int] = {}


def _sample(name: str) -> dict:
    return yaml.safe_load((SAMPLES / name / "mlops.yaml").read_text())


def _ecs_served() -> dict:
    config = _sample("fraud-lambda")
    deploy = config["pipelines"]["deploy"]
    deploy.pop("function")
    deploy.update(target="ecs-service", service={"name": "fraud-scoring", "desired_count": 2, "cpu": 1024,
                                                 "memory": 2048, "port": 8080})
    for overlay in config["environments"].values():
        overlay.get("pipelines", {}).get("deploy", {}).pop("function", None)
    return config


BASES = {"demand-forecast": _sample("demand-forecast"), "churn-fargate": _sample("churn-fargate"),
         "fraud-lambda": _sample("fraud-lambda"), "fraud-ecs": _ecs_served()}
#: Enums drawn freely from the schema; the ones that shape other keys (deploy.target: a base
#: each; batch mode and compute, traffic mode: `_cohere`) are drawn with the keys they need.
FREE_ENUMS = {"approval", "schedule", "cooldown", "goal", "scaling", "compute_type"}
BATCH_MINI_ONLY = ("batch_size", "max_concurrency", "tolerated_failure_percent")
SIZES = {"fargate": {"cpu": 1024, "memory": 4096},
         "sagemaker": {"instance_type": "ml.m5.large", "instance_count": 1, "volume_gb": 30}}
#: monitor.health key -> the `monitor:` alarm it creates (docs/monitoring.md).
HEALTH_ALARMS = {"max_error_rate": "monitor:error-rate", "max_latency_p99_ms": "monitor:latency-p99"}
#: Optional keys kept in every example: dropping them only makes configs validate refuses (a stage
#: with no runtime or command, a Fargate size with one half, a tuning range with one end, a runtime
#: with neither a Dockerfile nor an image).
KEPT = {"runtime", "command", "cpu", "memory", "min", "max", "values", "source", "features", "instance_count",
        "dockerfile"}
#: Kept or dropped as a whole: an environment's platform (its account goes with its ARNs).
ATOMIC = {"platform"}


def _resolve(node: dict) -> tuple[dict, set, object]:
    """(properties, required, additionalProperties) of a schema node, through $ref and allOf."""
    properties, required, additional = {}, set(), None
    stack = [node]
    while stack:
        current = stack.pop()
        if "$ref" in current:
            target = SCHEMA
            for part in current["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            stack.append(target)
        stack += current.get("allOf", [])
        for key, value in current.get("properties", {}).items():
            properties.setdefault(key, value)
        required |= set(current.get("required", []))
        if isinstance(current.get("additionalProperties"), dict):
            additional = current["additionalProperties"]
    return properties, required, additional


def _enum(node: dict):
    while "$ref" in node and "enum" not in node:
        target = SCHEMA
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node.get("enum")


def _vary(draw, value, schema: dict):
    """The value with each optional key kept or dropped and each enum value drawn."""
    if isinstance(value, dict):
        properties, required, additional = _resolve(schema)
        varied = {}
        for key, inner in value.items():
            inner_schema = properties.get(key, additional)
            if inner_schema is None:
                varied[key] = inner
                continue
            optional = key in properties and key not in required and key not in KEPT
            if optional and draw(st.integers(0, 3)) == 0:  # dropped one time in four
                continue
            varied[key] = inner if key in ATOMIC else _vary(draw, inner, inner_schema)
            enum = _enum(inner_schema)
            if enum and key in FREE_ENUMS:
                varied[key] = draw(st.sampled_from(enum))
        return varied
    return value


def _cohere(draw, config: dict) -> dict:
    """Draws the enums that shape other keys together with those keys (each batch mode and
    compute, each traffic mode), and drops what names something dropped (a `monitor:` alarm
    whose health key is gone, a monitor with nothing to watch)."""
    pipelines = config.setdefault("pipelines", {})
    batch = pipelines.get("batch")
    if batch is not None:
        batch["mode"] = draw(st.sampled_from(["full", "mini"]))
        if batch["mode"] == "full":
            for key in BATCH_MINI_ONLY:
                batch.pop(key, None)
        compute = draw(st.sampled_from(sorted(SIZES)))
        for key in {k for sizes in SIZES.values() for k in sizes} | {"compute", "spot"}:
            batch.pop(key, None)
        batch.update(compute=compute, **SIZES[compute])
    monitor = config.get("monitor")
    if monitor is not None and "deploy" not in pipelines:
        config.pop("monitor")
        monitor = None
    if monitor is not None and "retrain" not in pipelines:
        monitor.pop("baseline", None)
    if monitor is not None and "baseline" not in monitor:
        monitor.pop("drift", None)
    target = pipelines.get("deploy", {}).get("target")
    if monitor is not None and target != "sagemaker-endpoint" and "job" not in monitor.get("drift", {"job": 1}):
        monitor.pop("drift")  # Model Monitor watches endpoints only; other targets need a job
    for overlay in config.get("environments", {}).values():
        for name in set(overlay.get("pipelines", {})) - set(pipelines):
            overlay["pipelines"].pop(name)
        if monitor is None:
            overlay.pop("monitor", None)
    deploy = pipelines.get("deploy")
    if deploy is not None and "traffic" in deploy:
        health = (monitor or {}).get("health", {})
        alive = {alarm for key, alarm in HEALTH_ALARMS.items() if key in health}
        traffic = deploy["traffic"]
        traffic["alarms"] = [a for a in traffic.get("alarms", []) if not a.startswith("monitor:") or a in alive]
        traffic["mode"] = draw(st.sampled_from(["all-at-once", "canary", "linear"]))
        if traffic["mode"] != "all-at-once":
            traffic.update(percent=traffic.get("percent", 25), interval=traffic.get("interval", "5m"))
            traffic["alarms"] = traffic["alarms"] or ["serving-errors"]  # an alarm of the team's own
        if not traffic["alarms"]:
            traffic.pop("alarms")
    if not pipelines:
        pipelines["batch"] = copy.deepcopy(BASES["demand-forecast"]["pipelines"]["batch"])
    return config


@st.composite
def configs(draw) -> tuple[str, dict]:
    base = draw(st.sampled_from(sorted(BASES)))
    return base, _cohere(draw, _vary(draw, copy.deepcopy(BASES[base]), SCHEMA))


#: The sample repository each base's files (Dockerfiles, build contexts) come from.
REPOSITORY = {"demand-forecast": "demand-forecast", "churn-fargate": "churn-fargate", "fraud-lambda": "fraud-lambda",
              "fraud-ecs": "fraud-lambda"}


def _compile(tmp_root: Path, base: str, config: dict):
    """Writes the config into a copy of its base's sample repository (next to the samples'
    platform file) and compiles it in memory."""
    model = tmp_root / base
    if not model.exists():
        shutil.copytree(SAMPLES / REPOSITORY[base], model)
        shutil.copy(SAMPLES / "mlops-platform.yaml", tmp_root / "mlops-platform.yaml")
    (model / "mlops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return api.compile_outputs([str(model)], None)


def _regression_hint(base: str, config: dict) -> str:
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    return (f"keep this example: save the YAML below as tests/render/generated_configs/{base}--{digest}.yaml\n"
            + yaml.safe_dump(config, sort_keys=False))


def _features(config: dict) -> list[str]:
    pipelines = config["pipelines"]
    found = [f"no:{name}" for name in ("retrain", "deploy", "batch") if name not in pipelines]
    found += ["no:monitor"] if "monitor" not in config else []
    if "deploy" in pipelines:
        found += [f"target:{pipelines['deploy']['target']}",
                  f"traffic:{pipelines['deploy'].get('traffic', {}).get('mode', 'all-at-once')}"]
    if "batch" in pipelines:
        found.append(f"batch:{pipelines['batch']['mode']}/{pipelines['batch']['compute']}")
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated-configs")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(example=configs())
def test_every_valid_generated_config_compiles(workdir, example):
    base, config = example
    TRIED["examples"] += 1
    try:
        result = _compile(workdir, base, config)
    except Exception as error:  # noqa: BLE001 - any exception is the failure, with its config
        raise AssertionError(f"{type(error).__name__}: {error}\n{_regression_hint(base, config)}") from error
    assume(result.validation.ok)
    TRIED["valid"] += 1
    for feature in _features(config):
        COVERED[feature] = COVERED.get(feature, 0) + 1
    problems = [p for p in result.validation.problems if getattr(p, "severity", "error") == "error"]
    assert not problems, f"{problems}\n{_regression_hint(base, config)}"
    assert result.outputs, _regression_hint(base, config)
    for environment, files in result.outputs.items():
        for name, text in files.items():
            if name.endswith(".asl.json"):
                digest = hashlib.sha256(text.encode()).hexdigest()  # one run per distinct definition
                COMPILED.setdefault(digest, {"label": f"{base}/{environment}/{name}", "text": text,
                                             "config": (base, copy.deepcopy(config))})


def test_the_generator_makes_mostly_valid_configs():
    """Runs after the property test (file order): enough examples were configs validate accepts,
    so the property above was tested on real variety, not vacuously."""
    if TRIED["examples"] == 0:
        pytest.skip("the property test did not run (deselected)")
    assert TRIED["valid"] >= TRIED["examples"] * 0.4, TRIED
    wanted = ({f"target:{t}" for t in _enum(SCHEMA["$defs"]["deploy"]["properties"]["target"])}
              | {f"batch:{m}/{c}" for m in ("full", "mini") for c in SIZES}
              | {f"traffic:{m}" for m in _enum(SCHEMA["$defs"]["traffic"]["properties"]["mode"])}
              | {"no:retrain", "no:deploy", "no:batch", "no:monitor"})
    assert wanted <= set(COVERED), sorted(wanted - set(COVERED))


def test_asl_validator_accepts_every_generated_definition(tmp_path):
    if not COMPILED:
        pytest.skip("the property test did not run (deselected)")
    AslValidator.require()
    paths = {}
    for digest, entry in sorted(COMPILED.items()):
        paths[digest] = tmp_path / f"{digest[:16]}.asl.json"
        paths[digest].write_text(entry["text"])
    results = AslValidator.run(list(paths.values()))
    rejected = {digest: results[str(path)][1] for digest, path in paths.items() if not results[str(path)][0]}
    if rejected:
        first = COMPILED[sorted(rejected)[0]]
        raise AssertionError(f"asl-validator rejected {len(rejected)} of {len(paths)} definitions, first "
                             f"{first['label']}:\n{rejected[sorted(rejected)[0]]}\n{_regression_hint(*first['config'])}")


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.yaml")), ids=lambda p: p.stem)
def test_regression_configs_compile(tmp_path, path):
    """Each kept example (a config the generator once found failing) compiles, valid, with no
    problem; and its definitions pass asl-validator."""
    base = path.stem.split("--")[0]  # <base>--<name>.yaml: the sample repository it was drawn from
    result = _compile(tmp_path, base, yaml.safe_load(path.read_text()))
    assert result.validation.ok, result.validation.problems
    written = []
    for environment, files in result.outputs.items():
        for name, text in files.items():
            if name.endswith(".asl.json"):
                written.append(tmp_path / f"{environment.replace('/', '-')}-{name}")
                written[-1].write_text(text)
    AslValidator.require()
    assert all(ok for ok, _ in AslValidator.run(written).values())
