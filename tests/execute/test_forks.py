"""tests/support/forks.py: a test run in a fork of the process sees the process as it was, its
changes (in memory and, through files_restored, on disk) do not reach the next test, and its
failures and skips are the test's."""

from __future__ import annotations

import pytest

from forks import files_restored, in_fork

SHARED = {"deployed": "v1"}


def test_what_a_fork_changes_in_memory_dies_with_it():
    def change():
        SHARED["deployed"] = "v2"
        return dict(SHARED)

    assert in_fork(change) == {"deployed": "v2"}
    assert SHARED == {"deployed": "v1"}


def test_an_assertion_failing_in_the_fork_fails_the_test_with_its_traceback():
    def failing():
        assert SHARED["deployed"] == "v2", "not deployed"

    with pytest.raises(pytest.fail.Exception, match="AssertionError: not deployed"):
        in_fork(failing)


def test_a_skip_in_the_fork_skips_the_test():
    with pytest.raises(pytest.skip.Exception, match="moto cannot"):
        in_fork(lambda: pytest.skip("moto cannot"))


def test_files_changed_under_the_folder_are_put_back(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "deploy.asl.json").write_text("v1")
    with files_restored(tmp_path):
        (tmp_path / "out" / "deploy.asl.json").write_text("v2")
        (tmp_path / "images.json").write_text("{}")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["out", "out/deploy.asl.json"]
    assert (tmp_path / "out" / "deploy.asl.json").read_text() == "v1"


@pytest.mark.in_fork
def test_a_marked_test_runs_in_a_fork():
    SHARED["deployed"] = "v3"  # a fork's change: test_nothing_leaked_from_the_marked_test sees v1


def test_nothing_leaked_from_the_marked_test():
    assert SHARED == {"deployed": "v1"}
