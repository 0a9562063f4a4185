"""Output is a pure function of the inputs, and writing it is all or nothing.

- byte-identical across runs, PYTHONHASHSEED values (subprocesses), working directories and
  relative vs absolute input paths;
- manifest.json: no absolute paths, no timestamps, hashes of every input and output;
- a failed compile (invalid config; a write failure injected by monkeypatching) leaves OUT as it was;
- `compile --check` exits 1 naming the stale files, 0 when OUT is current, and writes nothing;
- recompiling unchanged output touches nothing; a change replaces only the directories it changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from compile_helpers import (REPO_ROOT, SAMPLE_REPOSITORIES, SAMPLES, invoke, run_cli, samples_out, snapshot,  # noqa: F401
                             tree)

pytestmark = pytest.mark.e2e  # whole compiles in subprocesses


@pytest.fixture
def samples_copy(tmp_path) -> Path:
    """A private copy of samples/ (configs may be edited), same layout: <copy>/<repo>/mlops.yaml, <copy>/mlops-platform.yaml."""
    copy = tmp_path / "samples"
    shutil.copytree(SAMPLES, copy)
    return copy


def compile_copy(copy: Path, out: Path, *extra: str):
    return invoke("compile", str(copy), "--platform", str(copy / "mlops-platform.yaml"), "-o", str(out), *extra)


def break_config(copy: Path) -> None:
    config = copy / "demand-forecast" / "mlops.yaml"
    text = config.read_text()
    assert "      instance_count: 2\n" in text
    config.write_text(text.replace("      instance_count: 2\n", "      instance_count: 0\n"))


def change_config(copy: Path) -> None:
    """A valid change that alters churn-fargate's outputs only."""
    config = copy / "churn-fargate" / "mlops.yaml"
    text = config.read_text()
    assert "LOG_LEVEL: info" in text
    config.write_text(text.replace("LOG_LEVEL: info", "LOG_LEVEL: debug"))


# --------------------------------------------------------------------------- determinism

@pytest.mark.parametrize("seed", ["0", "1", "4242"])
def test_identical_across_hash_seeds(samples_out, tmp_path, seed):
    out = tmp_path / "out"
    done = run_cli("compile", "samples", "--platform", "samples/mlops-platform.yaml", "-o", str(out),
                   env={"PYTHONHASHSEED": seed})
    assert done.returncode == 0, done.stderr
    assert tree(out) == tree(samples_out)


def test_identical_across_working_directories_and_path_styles(samples_out, tmp_path):
    expected = tree(samples_out)
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    runs = {
        "inside samples/, relative": (SAMPLES, [".", "--platform", "mlops-platform.yaml"]),
        "from /, absolute": (Path("/"), [str(SAMPLES), "--platform", str(SAMPLES / "mlops-platform.yaml")]),
        "from elsewhere, relative": (elsewhere, [os.path.relpath(SAMPLES, elsewhere), "--platform",
                                                 os.path.relpath(SAMPLES / "mlops-platform.yaml", elsewhere)]),
        "each repository named": (REPO_ROOT, ["samples/fraud-lambda", "samples/churn-fargate/mlops.yaml",
                                              str(SAMPLES / "demand-forecast"), "samples/abalone/",
                                              "--platform", "samples/mlops-platform.yaml"]),
    }
    for label, (cwd, args) in runs.items():
        out = tmp_path / label.replace(" ", "-").replace("/", "").replace(",", "")
        done = run_cli("compile", *args, "-o", str(out), cwd=cwd)
        assert done.returncode == 0, f"{label}: {done.stderr}"
        assert tree(out) == expected, f"{label}: output differs"


def test_manifest_has_no_absolute_paths_or_timestamps(samples_out):
    manifests = sorted(samples_out.glob("*/*/manifest.json"))
    assert len(manifests) == 10  # model environments: abalone 6, churn 1, demand 1, fraud 2
    timestamp = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")
    for manifest_file in manifests:
        text = manifest_file.read_text()
        manifest = json.loads(text)
        # The optional keys (an environment's switched-off pipelines, prebuilt images) come after the target.
        optional = [key for key in ("disabled", "prebuilt_images", "aws_images_source") if key in manifest]
        assert list(manifest) == ["format_version", "compiler", "model", "environment", "description", "owner", "target",
                                  *optional, "inputs", "outputs"]
        assert not timestamp.search(text), f"{manifest_file}: looks like a timestamp"
        for needle in (str(REPO_ROOT), str(samples_out), os.path.expanduser("~"), "/tmp"):
            assert needle not in text, f"{manifest_file} mentions {needle}"
        for entry in manifest["inputs"] + manifest["outputs"]:
            assert not entry["path"].startswith("/") and ":" not in entry["path"], entry
            assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])


def test_manifest_hashes_inputs_and_outputs(samples_out):
    for manifest_file in sorted(samples_out.glob("*/*/manifest.json")):
        manifest = json.loads(manifest_file.read_text())
        repo = SAMPLES / SAMPLE_REPOSITORIES[manifest["model"]]
        assert [i["path"] for i in manifest["inputs"]] == ["../mlops-platform.yaml", "mlops.yaml"]
        for entry in manifest["inputs"]:
            assert entry["sha256"] == hashlib.sha256((repo / entry["path"]).read_bytes()).hexdigest()
        written = sorted(p.name for p in manifest_file.parent.iterdir() if p.name != "manifest.json")
        assert [o["path"] for o in manifest["outputs"]] == written
        for entry in manifest["outputs"]:
            assert entry["sha256"] == hashlib.sha256((manifest_file.parent / entry["path"]).read_bytes()).hexdigest()


def test_outputs_end_with_a_newline_and_use_two_space_indent(samples_out):
    for path in sorted(samples_out.glob("*/*/*.json")):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n") and not text.endswith("\n\n"), path
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", path


# --------------------------------------------------------------------------- all or nothing

def test_invalid_config_leaves_out_untouched(samples_copy, tmp_path):
    out = tmp_path / "out"
    assert compile_copy(samples_copy, out).exit_code == 0
    before = snapshot(out)
    change_config(samples_copy)  # would change churn-fargate ...
    break_config(samples_copy)   # ... but demand-forecast is now invalid
    result = compile_copy(samples_copy, out)
    assert result.exit_code == 1, result.output
    assert "instance_count" in result.output
    assert snapshot(out) == before


def test_invalid_config_creates_no_out(samples_copy, tmp_path):
    break_config(samples_copy)
    assert compile_copy(samples_copy, tmp_path / "out").exit_code == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_write_failure_while_staging_leaves_out_untouched(samples_copy, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert compile_copy(samples_copy, out).exit_code == 0
    before = snapshot(out)
    # Change two models, so that the failure comes after one directory has been staged.
    change_config(samples_copy)
    fraud = samples_copy / "fraud-lambda" / "mlops.yaml"
    fraud.write_text(fraud.read_text().replace("SCORE_THRESHOLD: \"0.5\"", "SCORE_THRESHOLD: \"0.6\""))
    calls = {"n": 0}
    real_write_bytes = Path.write_bytes

    def failing_write_bytes(self, data):
        calls["n"] += 1
        if calls["n"] == 9:
            raise OSError(28, "No space left on device (injected)")
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write_bytes)
    result = compile_copy(samples_copy, out)
    monkeypatch.undo()
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output and "No space left on device (injected)" in result.output
    assert calls["n"] == 9
    assert snapshot(out) == before, "a failed write changed OUT (or left staging directories in it)"


def test_failure_while_swapping_directories_leaves_out_untouched(samples_copy, tmp_path, monkeypatch):
    """Staging succeeded; replacing the second changed directory fails: the first must be put back."""
    from compiler.artifacts import write

    out = tmp_path / "out"
    assert compile_copy(samples_copy, out).exit_code == 0
    before = snapshot(out)
    change_config(samples_copy)
    fraud = samples_copy / "fraud-lambda" / "mlops.yaml"
    fraud.write_text(fraud.read_text().replace("SCORE_THRESHOLD: \"0.5\"", "SCORE_THRESHOLD: \"0.6\""))
    real_replace = os.replace
    moved_in = []

    def failing_replace(source, target):
        if Path(source).name.startswith("new-") and Path(source).parent.name.startswith(write.PREFIX):
            moved_in.append(target)
            if len(moved_in) == 2:
                raise OSError(5, "Input/output error (injected)")
        return real_replace(source, target)

    monkeypatch.setattr(write.os, "replace", failing_replace)
    result = compile_copy(samples_copy, out)
    monkeypatch.undo()
    assert result.exit_code == 2 and "cannot write" in result.output, result.output
    assert len(moved_in) == 2
    after = snapshot(out)
    assert {k: v[:2] for k, v in after.items()} == {k: v[:2] for k, v in before.items()}, \
        "a failed swap left OUT half updated"


# --------------------------------------------------------------------------- --check

def test_check_passes_when_current_and_writes_nothing(samples_copy, tmp_path):
    out = tmp_path / "out"
    assert compile_copy(samples_copy, out).exit_code == 0
    before = snapshot(out)
    result = compile_copy(samples_copy, out, "--check")
    assert result.exit_code == 0, result.output
    assert snapshot(out) == before


def test_check_names_stale_files(samples_copy, tmp_path):
    out = tmp_path / "out"
    result = compile_copy(samples_copy, out, "--check")
    assert result.exit_code == 1
    assert "would change: " + (out / "fraud-scoring/prod/deploy.asl.json").as_posix() in result.output
    assert not out.exists(), "--check wrote something"

    assert compile_copy(samples_copy, out).exit_code == 0
    edited = out / "churn-fargate/default/retrain.asl.json"
    edited.write_text(edited.read_text().replace('"Done"', '"Finished"'))
    extra = out / "demand-forecast/default/notes.txt"
    extra.write_text("not written by mlopsc\n")
    before = snapshot(out)
    result = compile_copy(samples_copy, out, "--check")
    assert result.exit_code == 1
    stale = sorted(line.removeprefix("would change: ") for line in result.output.splitlines()
                   if line.startswith("would change: "))
    assert stale == sorted([edited.as_posix(), extra.as_posix()])
    assert snapshot(out) == before

    change_config(samples_copy)
    result = compile_copy(samples_copy, out, "--check")
    assert result.exit_code == 1
    assert "would change: " + (out / "churn-fargate/default/batch.asl.json").as_posix() in result.output
    assert "would change: " + (out / "churn-fargate/default/manifest.json").as_posix() in result.output


def test_check_exits_one_through_the_installed_cli(samples_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(samples_out, out)
    (out / "fraud-scoring/dev/pointers.json").write_text("{}\n")
    done = run_cli("compile", "samples", "--platform", "samples/mlops-platform.yaml", "-o", str(out), "--check")
    assert done.returncode == 1
    assert done.stdout.strip() == f"would change: {(out / 'fraud-scoring/dev/pointers.json').as_posix()}"


# --------------------------------------------------------------------------- incremental writes

def test_recompiling_unchanged_output_touches_nothing(samples_copy, tmp_path):
    out = tmp_path / "out"
    assert compile_copy(samples_copy, out).exit_code == 0
    before = snapshot(out)
    result = compile_copy(samples_copy, out)
    assert result.exit_code == 0
    assert "0 updated, 10 unchanged" in result.output
    assert snapshot(out) == before, "an unchanged compile rewrote files (inode or mtime changed)"


def test_a_change_replaces_only_its_directory(samples_copy, tmp_path):
    out = tmp_path / "out"
    assert compile_copy(samples_copy, out).exit_code == 0
    before = snapshot(out)
    change_config(samples_copy)
    result = compile_copy(samples_copy, out)
    assert result.exit_code == 0 and "1 updated, 9 unchanged" in result.output, result.output
    after = snapshot(out)
    assert set(after) == set(before)
    changed = {path for path in after if after[path] != before[path]}
    assert changed and all(p.split("/")[0] == "churn-fargate" for p in changed), sorted(changed)
    assert not [p for p in os.listdir(out) if p.startswith(".")], "staging directories left in OUT"
