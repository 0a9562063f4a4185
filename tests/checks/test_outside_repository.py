"""One rule for every command: a config or platform file that lies in the repository but leads
outside it through a symbolic link is refused, with the same error.

The repository is the folder holding `.git` nearest above the config; without `.git`, the
config's own folder (discover.repository_root). Before, validate and compile followed such a
link, and diff dropped it at a revision (the model silently vanished from the diff).
"""

import subprocess
from pathlib import Path

import pytest

from helpers import BASE_CONFIG, PLATFORM, run_cli

REFUSED = "error: (top level): the {what} is a symbolic link (or lies in a linked folder) that leads outside the repository"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def layout(tmp_path) -> dict:
    """tmp/repo (a git repository holding a model: Dockerfile, platform file) and tmp/outside
    (a valid config and platform file that are not the repository's)."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    for folder in (repo, outside):
        folder.mkdir()
        (folder / "mlops.yaml").write_text(BASE_CONFIG)
        (folder / "mlops-platform.yaml").write_text(PLATFORM)
        (folder / "Dockerfile").write_text("FROM python:3.12-slim\n")
    git(repo, "init", "-q")
    return {"repo": repo, "outside": outside}


def link_config_outside(repo: Path) -> None:
    (repo / "mlops.yaml").unlink()
    (repo / "mlops.yaml").symlink_to("../outside/mlops.yaml")


@pytest.mark.parametrize("command", (["validate", "."], ["compile", ".", "-o", "out"]))
def test_validate_and_compile_refuse_a_config_linked_outside(layout, command):
    link_config_outside(layout["repo"])
    done = run_cli(command, layout["repo"])
    assert done.exit_code == 1, done.output
    assert f"mlops.yaml:1:1: {REFUSED.format(what='config')}" in done.stdout
    assert not (layout["repo"] / "out").exists()


def test_a_link_inside_the_repository_is_followed(layout):
    repo = layout["repo"]
    (repo / "models").mkdir()
    (repo / "models" / "mlops.yaml").write_text(BASE_CONFIG)
    (repo / "mlops.yaml").unlink()
    (repo / "mlops.yaml").symlink_to("models/mlops.yaml")
    assert run_cli(["validate", "mlops.yaml"], repo).exit_code == 0


def test_a_config_in_a_linked_folder_leading_outside(layout):
    """The folder, not the file, is the link: the config still leads outside."""
    (layout["outside"] / "mlops-platform.yaml").unlink()  # the repository's own is found above
    (layout["repo"] / "model").symlink_to("../outside")
    done = run_cli(["validate", "model/mlops.yaml"], layout["repo"])
    assert f"model/mlops.yaml:1:1: {REFUSED.format(what='config')}" in done.stdout


def test_without_git_the_repository_is_the_configs_folder(layout):
    """No .git: a link to the folder above leaves the repository."""
    repo = layout["repo"]
    (repo / ".git").rename(repo / "not-git")
    link_config_outside(repo)
    done = run_cli(["validate", "."], repo)
    assert f"mlops.yaml:1:1: {REFUSED.format(what='config')}" in done.stdout


def test_a_discovered_platform_file_linked_outside(layout):
    repo = layout["repo"]
    (repo / "mlops-platform.yaml").unlink()
    (repo / "mlops-platform.yaml").symlink_to("../outside/mlops-platform.yaml")
    done = run_cli(["validate", "."], repo)
    assert done.exit_code == 1
    assert f"mlops-platform.yaml:1:1: {REFUSED.format(what='platform file')}" in done.stdout


def test_a_platform_file_given_inside_the_repository_linked_outside(layout):
    repo = layout["repo"]
    (repo / "platform.yaml").symlink_to("../outside/mlops-platform.yaml")
    done = run_cli(["validate", ".", "--platform", "platform.yaml"], repo)
    assert f"platform.yaml:1:1: {REFUSED.format(what='platform file')}" in done.stdout


def test_a_platform_file_given_outside_the_repository_is_read_where_it_is(layout):
    """The platform team's file in its own repository, named with --platform: not the model
    repository's file, so not judged by this rule."""
    done = run_cli(["validate", ".", "--platform", "../outside/mlops-platform.yaml"], layout["repo"])
    assert done.exit_code == 0, done.output


def test_diff_refuses_a_config_linked_outside_in_the_working_tree(layout):
    repo = layout["repo"]
    assert run_cli(["compile", ".", "-o", "out"], repo).exit_code == 0
    link_config_outside(repo)
    done = run_cli(["diff", "out", "."], repo)
    assert done.exit_code == 2, done.output
    assert f"mlops.yaml:1:1: {REFUSED.format(what='config')}" in done.stderr


def test_diff_refuses_a_config_linked_outside_at_a_revision(layout):
    """At a revision the link is read from git (never followed on disk); it is refused with the
    same words, named as git names it, instead of being dropped (which showed the model as
    deleted)."""
    repo = layout["repo"]
    git(repo, "add", "mlops.yaml", "mlops-platform.yaml", "Dockerfile")
    git(repo, "commit", "-q", "-m", "model")
    link_config_outside(repo)
    git(repo, "add", "mlops.yaml")
    git(repo, "commit", "-q", "-m", "config linked outside")
    done = run_cli(["diff", "HEAD~1", "HEAD"], repo)
    assert done.exit_code == 2, done.output
    assert f"HEAD:mlops.yaml:1:1: {REFUSED.format(what='config')}" in done.stderr
