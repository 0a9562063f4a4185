"""`enabled: false` switches a pipeline (or the monitor section) off in one environment: nothing is
compiled for it there (no state machine, trigger rule, alarm, IAM or pointer), the manifest names
it, and the other environments are as without the key. Config: the good rule fixture
tests/checks/fixtures/good/pipelines-per-environment.yaml (staging all on; prod deploy-only with
batch off; dev retrain and batch, deploy and monitor off)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compile_helpers import invoke

FIXTURES = Path(__file__).parents[1] / "checks" / "fixtures"
MODEL = "demo-model"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("switches")
    repo = root / "repo"
    repo.mkdir()
    shutil.copy(FIXTURES / "good" / "pipelines-per-environment.yaml", repo / "mlops.yaml")
    for shared in ("Dockerfile", "mlops-platform.yaml"):
        shutil.copy(FIXTURES / shared, repo / shared)
    (repo / ".git").mkdir()
    result = invoke("compile", str(repo), "-o", str(root / "out"))  # compile proves every state machine (verify)
    assert result.exit_code == 0, result.output
    return root / "out" / MODEL


def files(out: Path, environment: str) -> dict:
    return {path.name: json.loads(path.read_text()) for path in (out / environment).glob("*.json")}


def test_each_environment_compiles_only_its_pipelines(out):
    machines = {env: sorted(name.split(".")[0] for name in files(out, env) if name.endswith(".asl.json"))
                for env in ("staging", "prod", "dev")}
    assert machines == {"staging": ["batch", "deploy", "retrain"], "prod": ["deploy"], "dev": ["batch", "retrain"]}
    assert files(out, "prod")["manifest.json"]["disabled"] == ["retrain", "batch"]
    assert files(out, "dev")["manifest.json"]["disabled"] == ["deploy", "monitor"]
    assert "disabled" not in files(out, "staging")["manifest.json"]


def test_nothing_of_a_switched_off_pipeline_is_rendered(out):
    prod, dev = files(out, "prod"), files(out, "dev")
    assert [rule["Name"] for rule in prod["triggers.json"]["rules"]] == [f"{MODEL}-prod-deploy-approved"]
    assert sorted(prod["pointers.json"]["state_machines"]) == ["deploy"] and prod["pointers.json"]["task_definitions"] == {}
    for text in (json.dumps(prod["iam.json"]), json.dumps(prod["pointers.json"])):
        assert "retrain" not in text and "batch" not in text and "demo-data/raw" not in text
    # prod's drift alarms do not retrain (monitor.drift.retrain: false there); its health alarms stay.
    assert {alarm["AlarmName"] for alarm in prod["monitor.json"]["alarms"]} >= {f"{MODEL}-prod-error-rate"}
    assert "monitor.json" not in dev and "drift.asl.json" not in dev
    assert [rule["Name"] for rule in dev["triggers.json"]["rules"]] == [f"{MODEL}-dev-retrain-schedule"]
    assert "deploy" not in json.dumps(dev["iam.json"]) and "sagemaker:CreateEndpoint" not in json.dumps(dev["iam.json"])


def test_batch_where_retrain_is_off_still_scores_with_the_approved_version(tmp_path):
    """Versions reach an environment whose retrain is off by `registry promote`: its batch checks
    the approved pointer and passes MLOPS_MODEL_URI, as where retrain runs (not the image alone)."""
    text = (FIXTURES / "good" / "pipelines-per-environment.yaml").read_text()
    text = text.replace("      batch: {enabled: false}\n", "")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "mlops.yaml").write_text(text)
    for shared in ("Dockerfile", "mlops-platform.yaml"):
        shutil.copy(FIXTURES / shared, repo / shared)
    (repo / ".git").mkdir()
    result = invoke("compile", str(repo), "-o", str(tmp_path / "out"), "--env", "prod")
    assert result.exit_code == 0, result.output
    batch = (tmp_path / "out" / MODEL / "prod" / "batch.asl.json").read_text()
    assert "Check approved model" in batch and "MLOPS_MODEL_URI" in batch
