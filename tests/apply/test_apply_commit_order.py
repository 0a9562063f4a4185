"""Commit order in `mlopsc apply`: a date cannot freeze an environment, and "kept" is never green.

Any committer sets their commit time (GIT_COMMITTER_DATE). A future --commit-time is refused
beyond a small clock skew; git history decides which commit is newer whenever the checkout can
tell (a commit whose history holds the applied one is newer, whatever the dates); and an apply that
leaves an environment as it is, because the applied commit is not in its history, exits 1 with
the reason. Against moto in its own process (moto_aws.py), with a real git repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler import apply
from compiler.apply.inputs import MAX_CLOCK_SKEW_SECONDS, read_commit
from compiler.errors import InputError
from compiler.cli import cli
from moto_aws import aws, create_platform, moto_server  # noqa: F401 - fixtures
from test_apply import SAMPLES, actions, compile_into, images_file, pointer_item

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

MODEL = "churn-fargate"
T = 1_700_000_000  # commit times of the test history: T + seconds


def git(repository: Path, *args: str, date: int | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if date is not None:
        env.update(GIT_AUTHOR_DATE=f"@{date} +0000", GIT_COMMITTER_DATE=f"@{date} +0000")
    done = subprocess.run(["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.com",
                           *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(repository: Path, message: str, date: int) -> str:
    git(repository, "commit", "--allow-empty", "-q", "-m", message, date=date)
    return git(repository, "rev-parse", "HEAD")


@pytest.fixture
def history(tmp_path):
    """main: A <- B, B's commit time 100 s before A's (its committer's clock was behind); side: C,
    older still, which shares no history with them."""
    repository = tmp_path / "checkout"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    a = commit(repository, "A", T + 1000)
    b = commit(repository, "B", T + 900)
    git(repository, "checkout", "-q", "--orphan", "side")
    c = commit(repository, "C", T + 800)
    return {"repository": repository, "A": (a, T + 1000), "B": (b, T + 900), "C": (c, T + 800)}


def apply_commit(out: Path, images: Path, repository: Path, sha_and_time: tuple):
    sha, when = sha_and_time
    request = apply.Request(out, "default", images, sha, when, repository=repository)
    outcome = apply.Outcome()
    apply.apply(request, outcome)
    return outcome


@pytest.fixture
def applied(aws, tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / MODEL)
    create_platform(aws, out)
    return out, images_file(out, tmp_path / "images.json")


# ----------------------------------------------------------------------------- a future time

def test_a_commit_time_in_the_future_is_refused_before_aws(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / MODEL)
    images = images_file(out, tmp_path / "images.json")
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "default", "--images", str(images),
                                      "--commit", "a" * 40, "--commit-time", "4102444800"])
    assert result.exit_code == 2, result.output
    assert "--commit-time 4102444800 is in the future" in result.output and "15 minutes" in result.output


def test_a_committer_clock_a_little_ahead_is_accepted():
    now = 1_700_000_000
    assert read_commit("a" * 40, now + MAX_CLOCK_SKEW_SECONDS, now=now).time == now + MAX_CLOCK_SKEW_SECONDS
    with pytest.raises(InputError, match="in the future"):
        read_commit("a" * 40, now + MAX_CLOCK_SKEW_SECONDS + 1, now=now)
    with pytest.raises(InputError, match="negative"):
        read_commit("a" * 40, -1, now=now)
    assert read_commit("a" * 40, int(time.time())) is not None


# ----------------------------------------------------------------------------- history decides

def test_a_descendant_is_applied_although_its_commit_time_is_older(applied, history, aws):
    """Before, B (commit time 100 s before A's) after A was 'kept (older commit)' with exit 0, for good."""
    out, images = applied
    assert apply_commit(out, images, history["repository"], history["A"]).ok
    outcome = apply_commit(out, images, history["repository"], history["B"])
    assert outcome.ok, (outcome.failure, outcome.kept)
    assert actions(outcome, "pointers")[("pointers", f"mlops-registry MODEL#{MODEL} POINTERS#default")] == "update"
    assert pointer_item(aws, MODEL)["commit"] == {"S": history["B"][0]}


def test_an_ancestor_is_kept_and_apply_exits_1_although_its_commit_time_is_newer(applied, history, aws, monkeypatch):
    """After B, A again (a re-run of an older pipeline execution): by date it is newer, by history
    it is older. The compile stage runs apply in the checkout: its history answers."""
    out, images = applied
    apply_commit(out, images, history["repository"], history["A"])
    apply_commit(out, images, history["repository"], history["B"])
    git(history["repository"], "checkout", "-q", "main")
    monkeypatch.chdir(history["repository"])
    sha, when = history["A"]
    result = CliRunner().invoke(cli, ["apply", str(out), "--env", "default", "--images", str(images),
                                      "--commit", sha, "--commit-time", str(when)])
    assert result.exit_code == 1, result.output
    assert f"error: {MODEL}/default: left as it is: {sha[:12]} is an ancestor of the applied commit " \
           f"{history['B'][0][:12]}: it is older" in result.output
    assert "hint: apply a commit whose history holds the applied one" in result.output
    assert pointer_item(aws, MODEL)["commit"] == {"S": history["B"][0]}


def test_a_commit_of_another_history_with_an_older_date_is_kept_with_exit_1(applied, history):
    out, images = applied
    apply_commit(out, images, history["repository"], history["A"])
    outcome = apply_commit(out, images, history["repository"], history["C"])
    assert not outcome.ok and outcome.failure is None and not outcome.applied
    [(directory, why)] = outcome.kept
    assert directory == f"{MODEL}/default" and "is not in the history of" in why and "newer by date" in why


def test_without_history_dates_decide_and_kept_is_still_an_error(applied, tmp_path):
    """No git repository where apply runs: commit times order, and 'kept' says git could not tell."""
    out, images = applied
    nowhere = tmp_path / "not-a-repository"
    nowhere.mkdir()
    assert apply_commit(out, images, nowhere, ("b" * 40, 200)).ok
    outcome = apply_commit(out, images, nowhere, ("a" * 40, 100))
    [(_, why)] = outcome.kept
    assert "git cannot tell" in why and not outcome.ok
    document = json.loads(CliRunner().invoke(cli, [
        "apply", str(out), "--env", "default", "--images", str(images), "--commit", "a" * 40,
        "--commit-time", "100", "--format", "json"]).output)
    assert document["kept"] and "git cannot tell" in document["kept"][0]["message"]
