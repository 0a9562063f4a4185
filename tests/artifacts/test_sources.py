"""compiler.sources: one resolver of an OUT folder, configs or a git revision, giving the same
`{"<model>/<env>": {file: parsed}}` whichever the source (diff, run, status and graph use it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import api, sources
from compiler.artifacts import write
from compiler.errors import InputError
from paths import REPO_ROOT
from diff_edits import commit, git

SAMPLES = REPO_ROOT / "samples"
MODEL = "demand-forecast"


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """The sample model as a git repository with one commit, and its OUT beside it."""
    folder = tmp_path_factory.mktemp("sources")
    shutil.copytree(SAMPLES / MODEL, folder / "model")
    shutil.copyfile(SAMPLES / "mlops-platform.yaml", folder / "model" / "mlops-platform.yaml")
    git(folder / "model", "init", "--quiet", "--initial-branch=main")
    commit(folder / "model", "first")
    result = api.compile_outputs([str(folder / "model")])
    assert result.validation.ok, result.validation.problems
    write.write(folder / "out", result.outputs)
    return folder / "model"


def test_the_three_sources_give_the_same_files(repository):
    out = repository.parent / "out"
    assert [sources.kind(str(p)) for p in (out, repository)] + [sources.kind("HEAD")] == \
        [sources.OUT, sources.FOLDER, sources.REVISION]
    from_out = sources.files(str(out), repository, None)
    assert from_out and sources.files(str(repository), repository, None) == from_out
    assert sources.files("HEAD", repository, None) == from_out


def test_one_environment_from_out_or_configs_is_the_same(repository):
    out = repository.parent / "out"
    from_out = sources.environment_files([str(out)], None, "default")
    assert set(from_out) == {f"{MODEL}/default"}
    assert sources.environment_files([str(repository)], None, "default") == from_out


def test_configs_that_do_not_compile_are_one_input_error_carrying_their_problems(repository, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(repository, broken, ignore=shutil.ignore_patterns(".git"))
    config = broken / "mlops.yaml"
    config.write_text(config.read_text().replace("instance_type: ml.m5.large", "instance_type: 42", 1))
    with pytest.raises(sources.InvalidConfig) as invalid:
        sources.environment_files([str(broken)], None, "default")
    assert isinstance(invalid.value, InputError) and invalid.value.problems
    assert invalid.value.problems[0].file.endswith("mlops.yaml")
