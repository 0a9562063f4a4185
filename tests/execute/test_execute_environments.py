"""Executed in moto (see sfn_harness.py), with configs built here (no sample has them): the
defaults and per-environment switches of config language 1.1. Versions come from whole retrain
runs and approvals through the registry library, as in test_execute_deploy.py."""

from __future__ import annotations

import shutil

import pytest
import yaml

from paths import REPO_ROOT
from sfn_harness import Registry, applied

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

SAMPLES = REPO_ROOT / "samples"
FRAUD_METRICS = {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01}


def sample_copy(tmp_path, sample: str, edit) -> object:
    """samples/<sample> copied under tmp_path (with the samples' platform file), its mlops.yaml
    changed by `edit(config)`."""
    root = tmp_path / "repos"
    shutil.copytree(SAMPLES / sample, root / sample)
    shutil.copyfile(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
    path = root / sample / "mlops.yaml"
    config = yaml.safe_load(path.read_text())
    edit(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return root / sample


def test_a_canary_without_interval_waits_the_rollback_window(monkeypatch, tmp_path):
    """fraud-scoring's canary with no `interval` and health alarms of 2 five-minute periods: the
    deployment waits 10 minutes (2 x 5m, compiler/rollback.py) between the canary step and the rest."""
    def no_interval(config):
        del config["pipelines"]["deploy"]["traffic"]["interval"]
        config["monitor"]["health"]["evaluation_periods"] = 2

    repo = sample_copy(tmp_path, "fraud-lambda", no_interval)
    with applied(monkeypatch, tmp_path, [repo], environment="prod", account="222222222222") as account:
        registry = Registry(account, monkeypatch, "fraud-scoring", "prod")
        for version in ("v1", "v2"):
            registry.register(version, FRAUD_METRICS)
        assert registry.deploy("v1").status == "SUCCEEDED"  # the first: no alias to shift from
        account.harness.clock.waits.clear()
        second = registry.deploy("v2")
        assert second.status == "SUCCEEDED", (second.error, second.cause)
        assert account.harness.clock.waits_in("Wait traffic interval") == [600]
