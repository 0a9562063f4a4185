"""A model that publishes its own package (build.publish, issue 21), applied and retrained in
moto: the version the retrain pipeline registers keeps the package apply recorded in the pointers
(from the build's published.json), so a model version names the exact package it was trained with.
(moto has no CodeArtifact: the build's side is tests/render/test_buildspec_in_a_shell.py.)"""

from __future__ import annotations

import pytest

from private_package import MODEL, private_package_repo
from sfn_harness import PUBLISHED_VERSION, applied, execute, item

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)


def test_the_registered_version_keeps_the_published_package(monkeypatch, tmp_path):
    repo = private_package_repo(tmp_path / "repositories")
    with applied(monkeypatch, tmp_path, [repo]) as account:
        account.harness.stages.metrics = {"auc": 0.91, "logloss": 0.31}
        run = execute(account.sfn, f"{MODEL}-default-retrain", "run-ok")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        pointers = item(account.session, (f"MODEL#{MODEL}", "POINTERS#default"))
        version = item(account.session, (f"MODEL#{MODEL}", "VERSION#default#run-ok"))
    stem = f"churn-{PUBLISHED_VERSION}"
    assert pointers["package"] == {"package": "churn", "version": PUBLISHED_VERSION, "repository": "acme/ml-packages",
                                   "files": {f"{stem}-py3-none-any.whl": "2" * 64, f"{stem}.tar.gz": "3" * 64}}
    assert version["package"] == pointers["package"]
    assert version["code_commit"] == pointers["commit"]  # the commit the package was published from
