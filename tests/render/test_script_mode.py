"""Script mode compiled (its execution: tests/execute/test_execute_script_mode.py): a training stage
on a runtime with `code` gets the SageMaker Python SDK's script-mode hyper-parameters (SDK v2
estimator.py `Framework._script_mode_hyperparam_update`, JSON-encoded as `_json_encode_hyperparameters`
does), the submit directory read at run time from the pointers' commit; the buildspec packs and
uploads `sourcedir.tar.gz` (as fw_utils.tar_and_upload_dir does) only for runtimes run that way.
Every config here is compiled by api.compile_outputs, which proves each definition (`verify`)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import tarfile

import jsonschema
import pytest
import yaml

from compile_helpers import AslValidator, evaluate_format, make_repo
from compiler import api
from paths import REPO_ROOT

TAG = "$CODEBUILD_RESOLVED_SOURCE_VERSION"
BUILDSPEC_SCHEMA = json.loads((REPO_ROOT / "tests" / "support" / "buildspec.schema.json").read_text())
SUBMIT = "sagemaker_submit_directory.$"

BASE = {
    "version": 1,
    "model": {"name": "hf-model"},
    "runtimes": {
        "hf": {"image": {"framework": "huggingface", "version": "4.48.0", "scope": "training", "processor": "gpu"},
               "code": "src/finetune"},
        "prep": {"image": {"framework": "sklearn", "version": "1.2-1"}, "code": "src/prep"},
        "xgboost": {"image": {"framework": "xgboost", "version": "1.7-1"}},
    },
    "stage_defaults": {"timeout": "1h", "compute": "sagemaker", "instance_type": "ml.g5.2xlarge"},
    "pipelines": {
        "retrain": {"data": {"source": "s3://acme-ml-data/reviews/"}, "triggers": {"schedule": "rate(7 days)"}, "stages": {
            "transform": {"runtime": "prep", "instance_type": "ml.m5.large",
                          "command": ["python3", "/opt/ml/processing/input/code/main.py"]},
            "train": {"runtime": "hf", "entry_point": "main.py", "hyperparameters": {"epochs": 3}},
            "evaluate": {"runtime": "xgboost", "instance_type": "ml.m5.large",
                         "gate": [{"metric": "eval_loss", "below": 0.5}]},
        }},
        "deploy": {"target": "sagemaker-endpoint", "runtime": "xgboost",
                   "endpoint": {"instance_type": "ml.m5.large", "instance_count": 1}},
    },
}
TUNE = {"objective": {"metric": "eval_loss", "goal": "minimize"},
        "parameters": {"learning_rate": {"min": 0.00001, "max": 0.001, "scaling": "log"}}}


def _compile(tmp_path, config: dict) -> dict:
    repo = make_repo(tmp_path, config["model"]["name"], config)
    result = api.compile_outputs([str(repo)], str(tmp_path / "mlops-platform.yaml"))  # proves every definition
    assert result.validation.ok, result.validation.problems
    (model,) = result.validation.models
    return result.outputs[f"{model.name}/{model.environment}"]


def _states(files) -> dict:
    found = {}

    def walk(states):
        for name, state in states.items():
            found[name] = state
            for branch in state.get("Branches", []):
                walk(branch["States"])
    walk(json.loads(files["retrain.asl.json"])["States"])
    return found


def _archive_uri(value: str, commit: str = "c0ffee") -> str:
    return evaluate_format(value, {"$.pointers.Item.commit.S": commit})


def _script_mode(entry_point: str = "main.py") -> dict:
    return {"sagemaker_program": json.dumps(entry_point), "sagemaker_container_log_level": "20",
            "sagemaker_region": '"eu-west-1"'}


def test_a_training_job_in_script_mode_names_the_script_and_the_commits_archive(tmp_path):
    train = _states(_compile(tmp_path, BASE))["Train"]["Parameters"]
    hyperparameters = dict(train["HyperParameters"])
    submit = hyperparameters.pop(SUBMIT)
    assert hyperparameters == {"epochs": "3", **_script_mode()}
    # JSON-encoded, as the SDK sends it; the archive of the commit apply wrote into the pointers.
    assert _archive_uri(submit) == '"s3://acme-ml-artifacts/hf-model/code/c0ffee/hf.sourcedir.tar.gz"'
    # The image's own entry point (the training toolkit) runs: no ContainerEntrypoint.
    assert "ContainerEntrypoint" not in train["AlgorithmSpecification"]


def test_tuned_the_static_pass_and_the_tuning_job_carry_script_mode(tmp_path):
    config = copy.deepcopy(BASE)
    config["pipelines"]["retrain"]["stages"]["tune"] = TUNE  # inherits train's runtime and entry_point
    states = _states(_compile(tmp_path, config))
    static = states["Static hyper-parameters"]
    # A run-time value: the Pass builds them with Parameters (a Result is taken literally).
    assert "Result" not in static and _archive_uri(static["Parameters"][SUBMIT]).endswith('/hf.sourcedir.tar.gz"')
    assert {k: v for k, v in static["Parameters"].items() if k != SUBMIT} == {"epochs": "3", **_script_mode()}
    assert states["Train"]["Parameters"]["HyperParameters.$"].startswith("States.JsonMerge($.hyperparameters, ")
    definition = states["Tune"]["Parameters"]["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == static["Parameters"]


def test_a_training_stage_of_its_own_runs_its_entry_point_and_a_processing_stage_does_not(tmp_path):
    config = copy.deepcopy(BASE)
    stages = config["pipelines"]["retrain"]["stages"]
    stages["distill"] = {"kind": "training", "after": ["train"], "runtime": "hf", "entry_point": "main.py"}
    states = _states(_compile(tmp_path, config))
    distill = dict(states["Distill"]["Parameters"]["HyperParameters"])
    assert _archive_uri(distill.pop(SUBMIT)).endswith('/hf.sourcedir.tar.gz"') and distill == _script_mode()
    transform = states["Transform"]["Parameters"]
    assert [i["InputName"] for i in transform["ProcessingInputs"]] == ["code"]  # the folder, as before


def test_without_code_a_training_job_gets_no_script_mode(tmp_path):
    config = copy.deepcopy(BASE)
    stages = config["pipelines"]["retrain"]["stages"]
    stages["train"] = {"runtime": "xgboost", "instance_type": "ml.m5.large", "hyperparameters": {"num_round": 10}}
    files = _compile(tmp_path, config)
    assert _states(files)["Train"]["Parameters"]["HyperParameters"] == {"num_round": "10"}
    assert "sourcedir" not in files["buildspec.yml"]


def _post_build(files) -> list:
    buildspec = yaml.safe_load(files["buildspec.yml"])
    jsonschema.validate(buildspec, BUILDSPEC_SCHEMA)
    return buildspec["phases"]["post_build"]["commands"]


def test_the_buildspec_archives_only_the_code_run_in_script_mode(tmp_path):
    commands = _post_build(_compile(tmp_path, BASE))
    archive = "/tmp/mlopsc-hf.sourcedir.tar.gz"
    tars = [c for c in commands if c.startswith("tar ")]
    assert tars == [f"tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner "
                    f"--use-compress-program='gzip -n' --create --file {archive} --directory src/finetune ."]
    upload = f'aws s3 cp --only-show-errors {archive} "s3://acme-ml-artifacts/hf-model/code/{TAG}/hf.sourcedir.tar.gz"'
    assert commands.index(upload) == commands.index(tars[0]) + 1
    # Both folders are still uploaded as folders (a processing job reads prep's); prep gets no archive.
    assert sum(c.startswith("aws s3 cp --recursive") for c in commands) == 2


@pytest.mark.skipif(shutil.which("tar") is None or shutil.which("gzip") is None, reason="needs GNU tar and gzip")
def test_the_archive_is_reproducible_and_holds_the_folder_at_its_root(tmp_path):
    """The buildspec's own tar command, run twice on the same files with other times: the same bytes
    (a rebuild of a commit uploads the same archive), members at the root as the SDK packs them."""
    [command] = [c for c in _post_build(_compile(tmp_path / "compile", BASE)) if c.startswith("tar ")]
    repo = tmp_path / "repo"
    (repo / "src" / "finetune" / "lib").mkdir(parents=True)
    (repo / "src" / "finetune" / "main.py").write_text("print('train')\n")
    (repo / "src" / "finetune" / "lib" / "util.py").write_text("X = 1\n")
    archive = "/tmp/mlopsc-hf.sourcedir.tar.gz"
    digests = []
    for mtime in (1_000_000_000, 1_700_000_000):
        for path in (repo / "src" / "finetune").rglob("*"):
            os.utime(path, (mtime, mtime))
        subprocess.run(command, shell=True, cwd=repo, check=True)
        with open(archive, "rb") as handle:
            digests.append(hashlib.sha256(handle.read()).hexdigest())
    assert digests[0] == digests[1]
    with tarfile.open(archive) as tar:
        assert sorted(m.name for m in tar.getmembers() if m.isfile()) == ["./lib/util.py", "./main.py"]
    os.remove(archive)


@pytest.mark.e2e
def test_script_mode_definitions_pass_the_asl_validator(tmp_path):
    """The validator that shares no code with mlopsc, on every script-mode shape (a `.$` key inside
    HyperParameters and StaticHyperParameters, the static Pass with Parameters)."""
    AslValidator.require()
    config = copy.deepcopy(BASE)
    stages = config["pipelines"]["retrain"]["stages"]
    stages["tune"] = TUNE
    stages["distill"] = {"kind": "training", "after": ["train"], "runtime": "hf", "entry_point": "main.py"}
    path = tmp_path / "retrain.asl.json"
    path.write_text(_compile(tmp_path / "compile", config)["retrain.asl.json"])
    assert AslValidator.run([path]) == {str(path): (True, "")}
