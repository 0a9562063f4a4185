"""apply's published.json (build.publish, issue 21): the build's record of the package it
published, beside images.json, checked before any AWS call; the write itself into the pointers,
and each registered version keeping it, is tests/execute/test_execute_published_package.py."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from compiler import api
from compiler.artifacts import write
from compiler.cli import cli
from private_package import private_package_repo

COMMIT = "a" * 40
VERSION = "0.1.0.post1765000000"
RECORD = {"package": "churn", "version": VERSION, "repository": "acme/ml-packages",
          "files": {f"churn-{VERSION}-py3-none-any.whl": "2" * 64, f"churn-{VERSION}.tar.gz": "3" * 64}}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """OUT of the publishing model, and a build folder with its images.json."""
    root = tmp_path_factory.mktemp("published")
    repo = private_package_repo(root / "repositories")
    result = api.compile_outputs([str(repo)], None, "default")
    assert result.validation.ok, result.validation.problems
    write.write(root / "out", result.outputs)
    pointers = json.loads((root / "out" / "churn-private" / "default" / "pointers.json").read_text())
    assert pointers["package"] == {"repository": "acme/ml-packages"}
    images = {runtime: f"{pointer['repository']}@sha256:{'1' * 64}" for runtime, pointer in pointers["images"].items()}
    return root, images


def _apply(root, images: dict, published) -> tuple:
    folder = root / f"build-{len(list(root.glob('build-*')))}"
    folder.mkdir()
    (folder / "images.json").write_text(json.dumps(images))
    if published is not None:
        (folder / "published.json").write_text(published if isinstance(published, str) else json.dumps(published))
    result = CliRunner().invoke(cli, ["apply", str(root / "out"), "--env", "default", "--images",
                                      str(folder / "images.json"), "--commit", COMMIT, "--commit-time", "1"])
    return result.exit_code, result.output


@pytest.mark.parametrize("published, message", [
    (None, "no published.json beside it, but churn-private/default publishes a package"),
    ({**RECORD, "repository": "acme/other"}, "expects acme/ml-packages"),
    ({**RECORD, "version": "0.1.0"}, "is not the record of a published package"),  # not the commit-derived form
    ({**RECORD, "files": {"churn.whl": "not-a-digest"}}, "is not the record of a published package"),
    ("{not json", "cannot be read as JSON"),
])
def test_a_missing_or_wrong_published_json_is_refused_before_aws(build, published, message):
    root, images = build
    code, output = _apply(root, images, published)
    assert code == 2 and message in output and "hint:" in output, output
