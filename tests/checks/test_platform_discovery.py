"""Without --platform, each config uses the nearest mlops-platform.yaml above it, up to the
repository root; --platform always wins. Locations point into the file that was used."""

from helpers import PLATFORM, REPO_ROOT, mlopsc_script

import subprocess


def _move_platform(repo, to: str) -> None:
    target = repo.root / to
    target.parent.mkdir(parents=True, exist_ok=True)
    (repo.root / "platform.yaml").rename(target)


def test_finds_the_platform_file_in_the_config_folder(repo):
    _move_platform(repo, "mlops-platform.yaml")
    out = repo.run("validate", ".")
    assert (out.exit_code, out.problems) == (0, [])


def test_finds_it_in_a_parent_folder_of_a_monorepo(repo):
    (repo.root / "models" / "churn").mkdir(parents=True)
    (repo.root / "mlops.yaml").rename(repo.root / "models" / "churn" / "mlops.yaml")
    (repo.root / "Dockerfile").rename(repo.root / "models" / "churn" / "Dockerfile")
    _move_platform(repo, "mlops-platform.yaml")
    out = repo.run("validate", "models")
    assert (out.exit_code, out.problems) == (0, [])


def test_problems_in_a_discovered_file_point_into_it(repo):
    _move_platform(repo, "mlops-platform.yaml")
    text = (repo.root / "mlops-platform.yaml").read_text()
    (repo.root / "mlops-platform.yaml").write_text(text.replace('account: "111111111111"', 'account: "12345"'))
    out = repo.run("validate", ".")
    assert out.exit_code == 1
    assert [(p.rule, p.where, p.path) for p in out.problems][0] == ("schema", "mlops-platform.yaml:1:10", "account")


def test_search_stops_at_the_repository_root(repo):
    """A platform file above the folder holding .git belongs to someone else: it is not used."""
    _move_platform(repo, "mlops-platform.yaml")
    (repo.root / "checkout" / ".git").mkdir(parents=True)
    for name in ("mlops.yaml", "Dockerfile"):
        (repo.root / name).rename(repo.root / "checkout" / name)
    out = repo.run("validate", "checkout")
    assert out.exit_code == 1
    assert [(p.rule, p.path) for p in out.problems] == [("platform-required", "platform")]
    assert "missing platform keys" in out.problems[0].message


def test_an_explicit_platform_file_wins_over_the_discovered_one(repo):
    _move_platform(repo, "mlops-platform.yaml")
    (repo.root / "other.yaml").write_text(PLATFORM.replace('region: eu-west-1', 'region: us-east-1'))
    out = repo.run("validate", ".", "--platform", "other.yaml")
    assert out.exit_code == 1
    assert {(p.rule, p.where.split(":")[0]) for p in out.problems} == {("arn", "other.yaml")}


def test_the_samples_validate_with_the_bare_command():
    done = subprocess.run([mlopsc_script(), "validate", "samples"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "")
