"""The hooks in .pre-commit-hooks.yaml run the real command line and fire on the right files."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from compile_helpers import REPO_ROOT, SAMPLES, run_cli

pytestmark = pytest.mark.e2e  # runs the hooks as pre-commit does, in subprocesses

HOOKS = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())


def test_hooks_have_what_pre_commit_requires():
    assert [hook["id"] for hook in HOOKS] == ["mlopsc-validate", "mlopsc-compile-check"]
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
        assert shlex.split(hook["entry"])[0] == "mlopsc"  # the console script the package installs


@pytest.mark.parametrize("path, fires", [
    ("mlops.yaml", True), ("models/churn/mlops.yaml", True), ("mlops-platform.yaml", True), ("mlops.yml", True),
    ("src/churn/train.py", False), ("not-mlops.yaml", False), ("mlops.yaml.bak", False),
])
def test_hooks_fire_on_configs_only(path, fires):
    for hook in HOOKS:
        assert bool(re.search(hook["files"], path)) is fires, (hook["id"], path)


def test_the_hooks_run_as_pre_commit_runs_them(tmp_path):
    """pre-commit runs `entry` + `args` from the repository root: here, a copy of the samples."""
    import shutil

    repository = tmp_path / "repo"
    shutil.copytree(SAMPLES, repository)
    validate, check = HOOKS
    assert run_cli(*shlex.split(validate["entry"])[1:], *validate.get("args", []), cwd=repository).returncode == 0
    stale = run_cli(*shlex.split(check["entry"])[1:], *check["args"], cwd=repository)
    assert stale.returncode == 1 and "would change: out/" in stale.stdout  # nothing compiled yet
    assert run_cli("compile", *check["args"][:1], "-o", "out", cwd=repository).returncode == 0
    assert run_cli(*shlex.split(check["entry"])[1:], *check["args"], cwd=repository).returncode == 0
