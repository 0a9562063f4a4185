"""User environment values and build args are never shown by `mlopsc diff` (text, markdown, json)
nor by the `apply` plan: a changed value shows as a keyed fingerprint (compiler/redact.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from compile_helpers import SAMPLES, run_cli
from moto_aws import aws, create_platform, moto_server  # noqa: F401 - fixtures
from test_apply import COMMIT_B, compile_into, editable_sample, images_file, run_apply

from compiler import redact

pytestmark = pytest.mark.e2e  # moto-backed apply and git-backed diff in subprocesses

#: Values the edit writes; none may appear in any output.
OLD, NEW = ("info", "2.2.1"), ("debug-zebra", "2.2.9-zebra", "zebra-on")


def _edit(config):
    text = config.read_text()
    for old, new in (("    LOG_LEVEL: info", "    LOG_LEVEL: debug-zebra"),
                     ('LAMBDA_RIC_VERSION: "2.2.1"', 'LAMBDA_RIC_VERSION: "2.2.9-zebra"'),
                     ("    target: lambda\n", "    target: lambda\n    environment: {FEATURE_FLAG: zebra-on}\n")):
        assert old in text
        text = text.replace(old, new)
    config.write_text(text)


@pytest.fixture(scope="module")
def two_outs(tmp_path_factory):
    root = tmp_path_factory.mktemp("redaction")
    shutil.copytree(SAMPLES / "fraud-lambda", root / "fraud")
    shutil.copy(SAMPLES / "mlops-platform.yaml", root)
    for out in ("out1", "out2"):
        if out == "out2":
            _edit(root / "fraud" / "mlops.yaml")
        done = run_cli("compile", "fraud", "-o", out, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.mark.parametrize("form", ["text", "markdown", "json"])
def test_diff_shows_that_a_value_changed_never_the_value(two_outs, form):
    done = run_cli("diff", "out1", "out2", "--format", form, cwd=two_outs)
    assert done.returncode == 1, done.stderr
    printed = done.stdout
    for value in ("debug-zebra", "zebra-on", "2.2.9-zebra", '"info"', "2.2.1"):
        assert value not in printed, (value, printed)
    assert printed.count("<hidden ") >= 3
    if form == "json":
        changes = json.loads(printed)["changes"]
        lambda_env = [c for c in changes if c["path"].endswith("Variables.FEATURE_FLAG")]
        assert lambda_env and all(c["new"].startswith("<hidden ") for c in lambda_env)


def test_equal_values_have_equal_fingerprints_and_the_fingerprint_is_keyed(monkeypatch):
    redact._key.cache_clear()
    monkeypatch.setenv(redact.FINGERPRINT_KEY_VARIABLE, "k1")
    first = redact.hidden("hunter2")
    assert first == redact.hidden("hunter2") != redact.hidden("hunter3")
    import hashlib
    assert hashlib.sha256(b"hunter2").hexdigest()[:8] not in first  # not a plain, dictionary-reversible hash
    redact._key.cache_clear()
    monkeypatch.setenv(redact.FINGERPRINT_KEY_VARIABLE, "k2")
    assert redact.hidden("hunter2") != first
    redact._key.cache_clear()


def test_every_place_a_user_value_lands_is_hidden_and_mlopsc_own_values_are_not():
    shown = redact.for_display({
        "Overrides": {"ContainerOverrides": [{"Name": "main", "Environment": [
            {"Name": "DB_PASS", "Value": "hunter2"}, {"Name": "MLOPS_MODEL", "Value": "m"},
            {"Name": "MLOPS_RUN_ID", "Value.$": "$$.Execution.Name"}]}]},
        "Environment": {"DB_PASS": "hunter2", "MLOPS_DATA_URI": "s3://b/"},
        "Lambda": {"Environment": {"Variables": {"DB_PASS": "hunter2", "MLOPS_MODEL_URI.$": "$.x"}}},
        "containerDefinitions": [{"environment": [{"name": "DB_PASS", "value": "hunter2"}]}],
        "commands": ["docker build --build-arg TOKEN=hunter2 --build-arg 'OTHER=\"hunter2\"' ."],
    })
    assert "hunter2" not in json.dumps(shown)
    assert {"Name": "MLOPS_MODEL", "Value": "m"} in shown["Overrides"]["ContainerOverrides"][0]["Environment"]
    assert shown["Environment"]["MLOPS_DATA_URI"] == "s3://b/"
    assert shown["Lambda"]["Environment"]["Variables"]["MLOPS_MODEL_URI.$"] == "$.x"


def test_the_apply_plan_never_shows_an_environment_value(aws, tmp_path):
    repository, out = editable_sample(tmp_path, "churn-fargate")
    create_platform(aws, out)
    images = images_file(out, tmp_path / "images.json")
    run_apply(out, images)
    config = repository / "mlops.yaml"
    assert "    LOG_LEVEL: info\n" in config.read_text()
    config.write_text(config.read_text().replace("    LOG_LEVEL: info\n", "    LOG_LEVEL: debug-zebra\n"))
    compile_into(out, repository)
    outcome = run_apply(out, images, commit=COMMIT_B, time=200, dry_run=True)
    details = [line for plan in outcome.plans for change in plan.changes for line in change.details]
    assert any("LOG_LEVEL" in line or "Environment" in line or "ContainerOverrides" in line for line in details), details
    assert not any("debug-zebra" in line or '"info"' in line for line in details), details
    assert any("<hidden " in line for line in details), details
