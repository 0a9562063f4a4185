"""compiler.artifacts.read: the one reader of OUT, for the commands that act on it (checked
against the manifest's sha256) and for `mlopsc diff` (content only)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from compiler import api
from compiler.artifacts import read, write
from compiler.errors import InputError
from paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    result = api.compile_outputs([str(SAMPLES / "churn-fargate")], None, "default")
    assert result.validation.ok, result.validation.problems
    folder = tmp_path_factory.mktemp("artifacts") / "out"
    write.write(folder, result.outputs)
    return folder


def _list_in_manifest(environment: Path, path: str, content: bytes) -> None:
    manifest = json.loads((environment / "manifest.json").read_text())
    manifest["outputs"].append({"path": path, "sha256": hashlib.sha256(content).hexdigest()})
    (environment / "manifest.json").write_text(json.dumps(manifest))


def test_both_readers_give_the_same_files(out):
    (environment,) = read.read_environments(out, "default")
    assert read.read_out(out) == {environment.directory: environment.files}
    assert environment.files["pointers.json"] == environment.pointers
    assert environment.definitions["retrain"] == environment.files["retrain.asl.json"]


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(out, tmp_path):
    """A manifest is data from disk: an output `../..` would make apply read (and trust, its sha256
    matching) a file outside OUT. Before one reader served every command, only diff's refused it."""
    copy = tmp_path / "out"
    write.write(copy, {"churn-fargate/default": {p.name: p.read_text() for p in (out / "churn-fargate/default").iterdir()}})
    outside = b'{"secret": true}\n'
    (tmp_path / "outside.json").write_bytes(outside)
    _list_in_manifest(copy / "churn-fargate" / "default", "../../../outside.json", outside)
    for reader in (lambda: read.read_environments(copy, "default"), lambda: read.read_out(copy)):
        with pytest.raises(InputError, match=r"output '\.\./\.\./\.\./outside\.json' is not a file name"):
            reader()


@pytest.mark.parametrize("reader", [lambda out: read.read_environments(out, "default"), read.read_out])
def test_another_format_version_is_refused_by_every_reader(out, tmp_path, reader):
    copy = tmp_path / "out"
    write.write(copy, {"churn-fargate/default": {p.name: p.read_text() for p in (out / "churn-fargate/default").iterdir()}})
    manifest = copy / "churn-fargate" / "default" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"format_version": 1', '"format_version": 99'))
    with pytest.raises(InputError, match="output format 99, this mlopsc reads format 1") as refused:
        reader(copy)
    assert refused.value.hint == "compile again with this version of mlopsc"
