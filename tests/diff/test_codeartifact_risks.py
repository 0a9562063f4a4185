"""`mlopsc diff` flags the CodeArtifact changes a reviewer must see (issue 21): the repository the
build's pip logs into changed, added or removed, and a build that stops publishing its package.
The commands are the compiler's own (compiler/render/codeartifact_build.py)."""

from __future__ import annotations

import dataclasses

import pytest

from compiler.diff import risks
from compiler.diff.change import ABSENT, Change
from compiler.model import CodeArtifact
from compiler.render import codeartifact_build


def pip_login(**changed) -> str:
    codeartifact = CodeArtifact(**{"domain": "acme", "domain_owner": "111111111111", "repository": "ml-packages",
                                   "region": "eu-west-1", "create": False, **changed})
    config = type("Config", (), {"platform": type("Platform", (), {"codeartifact": codeartifact})(),
                                 "built_runtimes": ()})()
    (login, _npm) = codeartifact_build.logins(config)
    return login


def flagged(old, new, path=("phases", "pre_build", "commands", 0)) -> str:
    (change,) = risks.flag([Change.of("field", old, new, file="buildspec.yml", path=path)])
    return change.risk


@pytest.mark.parametrize("old, new, expected", [
    (pip_login(), pip_login(repository="other-repo"),
     "package index changed from acme/ml-packages (111111111111, eu-west-1) to acme/other-repo (111111111111, eu-west-1)"),
    (pip_login(), pip_login(domain_owner="222222222222"), "package index changed"),
    (pip_login(), "aws ecr get-login-password",  # CodeArtifact removed
     "package index changed from acme/ml-packages (111111111111, eu-west-1) to the public index"),
    (ABSENT, pip_login(), "package index changed from the public index"),
    (["pytest -q", pip_login()], ["pytest -q", pip_login()], ""),
    ("pip install -r requirements.txt", "pip install -r requirements.txt pytest", ""),
])
def test_the_package_index_changing_is_flagged(old, new, expected):
    risk = flagged(old, new)
    assert risk.startswith(expected) and bool(risk) is bool(expected), risk


def test_publishing_stopped_is_flagged():
    path = ("artifacts", "files", 1)
    assert flagged("published.json", ABSENT, path).startswith("publishing stopped")
    assert flagged(["images.json", "published.json"], ["images.json"], ("artifacts", "files")).startswith(
        "publishing stopped")
    assert flagged(ABSENT, "published.json", path) == ""


def test_only_the_buildspec_is_read():
    change = Change.of("field", pip_login(), pip_login(repository="x1"), file="pointers.json", path=("a",))
    assert risks.flag([change]) == [dataclasses.replace(change)]
