"""The CodeBuild buildspec: valid YAML in CodeBuild's documented structure (checked against
tests/buildspec.schema.json, a JSON Schema of the subset we emit), that runs the test commands,
builds and pushes every runtime, and leaves images.json (runtime -> image URI with digest) as
the artifact. User values reach the shell quoted (shlex round trip).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import jsonschema
import yaml

from compile_helpers import SAMPLE_REPOSITORIES, SAMPLES, hostile_out, samples_out  # noqa: F401 (fixtures)
from paths import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "tests" / "support" / "buildspec.schema.json").read_text())
TAG = "$CODEBUILD_RESOLVED_SOURCE_VERSION"


def buildspecs(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(out.glob("*/*/buildspec.yml")):
        text = path.read_text(encoding="utf-8")
        found[path.parent.relative_to(out).as_posix()] = yaml.safe_load(text)
    assert found
    return found


def config(model_env: str) -> dict:
    return yaml.safe_load((SAMPLES / SAMPLE_REPOSITORIES[model_env.split("/")[0]] / "mlops.yaml").read_text())


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_refuses_what_codebuild_would(samples_out):
    """Negative controls: the schema is not so loose that anything passes."""
    spec = buildspecs(samples_out)["churn-fargate/default"]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    bad = [{**spec, "version": "0.2"}, {**spec, "phases": {"compile": {"commands": ["x"]}}},
           {**spec, "phases": {"build": {"commands": "docker build ."}}},
           {**spec, "artifacts": {"files": "images.json"}}, {k: v for k, v in spec.items() if k != "version"}]
    assert all(list(validator.iter_errors(b)) for b in bad)


def test_buildspecs_match_the_schema(samples_out, hostile_out):
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for out in (samples_out, hostile_out["hostile"]):
        for where, spec in buildspecs(out).items():
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(spec)]
            assert not errors, f"{where}: {errors}"


def test_version_is_the_number_0_2(samples_out):
    for path in samples_out.glob("*/*/buildspec.yml"):
        assert path.read_text().startswith("version: 0.2\n"), path


def test_every_runtime_is_built_pushed_and_recorded(samples_out):
    """Every dockerfile runtime, that is: a prebuilt image (abalone's) is not built."""
    for where, spec in buildspecs(samples_out).items():
        runtimes = {name: settings for name, settings in config(where)["runtimes"].items() if "dockerfile" in settings}
        build = spec["phases"]["build"]["commands"]
        post = spec["phases"]["post_build"]["commands"]
        for runtime, settings in runtimes.items():
            builds = [shlex.split(c) for c in build if f"/{where.split('/')[0]}/{runtime}:{TAG}" in c]
            assert len(builds) == 1, f"{where}: {runtime} built {len(builds)} times"
            words = builds[0]
            assert words[:2] == ["docker", "build"]
            assert words[words.index("--file") + 1] == settings["dockerfile"]
            assert words[-1] == settings.get("context", ".")
            assert sum(f"/{runtime}:{TAG}" in c and c.startswith("docker push ") for c in post) == 1
            assert sum(f'{{"{runtime}": $uri}}' in c for c in post) == 1, f"{where}: {runtime} not in images.json"
        assert len(build) == len(runtimes) or (not runtimes and build == ["echo 'no dockerfile runtimes: nothing to build'"])


def test_images_json_is_created_filled_and_the_artifact(samples_out):
    for where, spec in buildspecs(samples_out).items():
        post = spec["phases"]["post_build"]["commands"]
        assert post[0] == "echo '{}' > images.json"
        assert all(c.endswith("mv images.tmp images.json") for c in post if c.startswith("DIGEST="))
        assert spec["artifacts"]["files"] == ["images.json"]
        built = any("dockerfile" in settings for settings in config(where)["runtimes"].values())
        assert ("@$DIGEST" in "".join(post)) == built, "images.json must name the built images by digest"


def test_test_commands_run_before_the_build(samples_out):
    for where, spec in buildspecs(samples_out).items():
        pre = spec["phases"]["pre_build"]["commands"]
        built = any("dockerfile" in settings for settings in config(where)["runtimes"].values())
        assert pre[built:] == config(where)["build"]["test_commands"]
        assert pre[0].startswith("aws ecr get-login-password") == built  # a login only to push


def test_build_args_are_shell_quoted(samples_out):
    spec = buildspecs(samples_out)["fraud-scoring/prod"]
    (serve,) = [c for c in spec["phases"]["build"]["commands"] if "/serve:" in c]
    assert shlex.split(serve)[shlex.split(serve).index("--build-arg") + 1] == "LAMBDA_RIC_VERSION=2.2.1"
    # Hostile build_args: see test_compile_hostile.test_buildspec_keeps_test_commands_and_quotes_build_args.


def test_environment_names_the_model(samples_out):
    for where, spec in buildspecs(samples_out).items():
        model, environment = where.split("/")
        assert spec["env"]["variables"]["MLOPS_MODEL"] == model
        assert spec["env"]["variables"]["MLOPS_ENVIRONMENT"] == environment


def test_hostile_build_args_round_trip_through_the_shell(hostile_out):
    from compile_helpers import HOSTILE, MODEL_HOSTILE

    spec = buildspecs(hostile_out["hostile"])[MODEL_HOSTILE]
    (build,) = spec["phases"]["build"]["commands"]
    words = shlex.split(build)
    pairs = [words[i + 1] for i, word in enumerate(words) if word == "--build-arg"]
    assert pairs == [f"ARG_{i:02d}={s}" for i, s in enumerate(HOSTILE)]
    assert words[-3:-1] == ["--tag", f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/hostile-model/app:{TAG}"]
