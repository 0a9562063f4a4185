"""`mlopsc registry show` names the package a version was trained with (build.publish, issue 21):
the version item's `package`, written by the retrain pipeline from the pointers apply wrote."""

from __future__ import annotations

import types

from compiler.cli import registry_commands

VERSION = "0.1.0.post1765000000"
PACKAGE = {"package": "churn", "version": VERSION, "repository": "acme/ml-packages",
           "files": {f"churn-{VERSION}.tar.gz": "3" * 64, f"churn-{VERSION}-py3-none-any.whl": "2" * 64}}


def _shown(capsys, found: dict) -> str:
    place = types.SimpleNamespace(model="churn-private", environment="default")
    registry_commands._version_text(place, "run-ok", {"deployed": False, "deployments": [], **found})
    return capsys.readouterr().out


def test_show_names_the_package_and_its_files(capsys):
    shown = _shown(capsys, {"package": PACKAGE})
    assert (f"  package:       churn {VERSION} from acme/ml-packages (churn-{VERSION}-py3-none-any.whl sha256:"
            f"{'2' * 64}, churn-{VERSION}.tar.gz sha256:{'3' * 64})") in shown.splitlines()


def test_a_version_without_a_package_shows_no_line(capsys):
    assert "package:" not in _shown(capsys, {})
