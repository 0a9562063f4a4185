"""The build stage's buildspec with `platform.codeartifact` and `build.publish` (issue 21), run in
a shell as CodeBuild runs it: every command of pre_build, build and post_build in order, in one
`sh` (buildspec 0.2: the commands of a build share one shell instance; CodeBuild User Guide,
"Build specification reference", version), each printed before it runs as CodeBuild's log does,
a failing one ending the build.

No network and no AWS: `aws`, `docker`, `pip`, `twine`, `python` and `python3 -m build` are stubs
first on PATH (tests/render/shell_stubs/), which record their arguments; git, jq, sha256sum and
the version step (real python3) run for real. The model is tests/support/private_package.py's:
its requirements name a package only the CodeArtifact repository has.

Shown: the buildspec matches CodeBuild's structure; pip's and npm's logins come before every
install (test commands, docker builds, the publishing tools, the package upload); docker builds
mount the index URL as a BuildKit secret, never a build argument; the token is in no log line,
no command, no artefact; published.json records the commit-derived version and each file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from compile_helpers import invoke, require_tool
from paths import REPO_ROOT
from private_package import MODEL, private_package_repo

STUBS = Path(__file__).with_name("shell_stubs")
SCHEMA = json.loads((REPO_ROOT / "tests" / "support" / "buildspec.schema.json").read_text())
TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMCwiZW5jIjoiQTEyOEdDTSJ9.c21-stub-token"
ENDPOINT = "https://acme-111111111111.d.codeartifact.eu-west-1.amazonaws.com/pypi/ml-packages/"
COMMIT_TIME = 1765000000
PHASES = ("pre_build", "build", "post_build")


def _runner(spec: dict) -> str:
    """The buildspec as one sh script: each command echoed as CodeBuild logs it, then run; the
    first failure runs the phase's `finally` and ends the build (every phase here is ABORT, or
    the last)."""
    lines = []
    for phase in PHASES:
        finally_ = spec["phases"][phase].get("finally", [])
        for command in spec["phases"][phase]["commands"]:
            lines.append(f"printf '%s\\n' {shlex.quote(f'[Container] Running command {command}')}")
            lines.append(command)
            lines.append(f'status=$?; if [ $status -ne 0 ]; then echo "[Container] {phase} failed: $status"; '
                         f'{"; ".join(finally_ + ["exit $status"])}; fi')
        lines += finally_
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> dict:
    for tool in ("jq", "git", "sh", "sha256sum", "cmp"):  # what CodeBuild's standard images have
        require_tool(shutil.which(tool) is not None, f"{tool} is not installed: the buildspec runs it")
    root = tmp_path_factory.mktemp("shell-build")
    repo = private_package_repo(root)
    (repo / "package.json").write_text('{"name": "churn-dashboard", "private": true}\n')
    git_env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_AUTHOR_DATE": f"@{COMMIT_TIME} +0000",
               "GIT_COMMITTER_DATE": f"@{COMMIT_TIME} +0000"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "model"]):
        subprocess.run(["git", *args], cwd=repo, env=git_env, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    out = root / "out"
    result = invoke("compile", str(repo), "--platform", str(root / "mlops-platform.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = (out / MODEL / "default" / "buildspec.yml").read_text()
    spec = yaml.safe_load(text)
    record = root / "record"
    env = {"PATH": f"{STUBS}:{os.environ['PATH']}", "HOME": str(root / "home"), "STUB_RECORD": str(record),
           "STUB_TOKEN": TOKEN, "STUB_ENDPOINT": ENDPOINT, "REAL_PYTHON3": sys.executable,
           "CODEBUILD_RESOLVED_SOURCE_VERSION": sha, **{k: str(v) for k, v in spec["env"]["variables"].items()}}
    (root / "home").mkdir()
    done = subprocess.run(["sh", "-c", _runner(spec)], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    calls = [line.split("\t") for line in record.read_text().splitlines()]
    return {"spec": spec, "text": text, "done": done, "calls": calls, "repo": repo}


def _first(calls: list, *prefix: str) -> int:
    return next(i for i, call in enumerate(calls) if call[:len(prefix)] == list(prefix))


def _indexes(calls: list, *prefix: str) -> list:
    return [i for i, call in enumerate(calls) if call[:len(prefix)] == list(prefix)]


def installs_follow_the_login(calls: list) -> None:
    """Every install (pip, docker build, python -m build, twine, pip download) after pip's login."""
    login = _first(calls, "aws", "codeartifact", "login", "--tool", "pip")
    installs = (_indexes(calls, "pip") + _indexes(calls, "docker", "build") + _indexes(calls, "python3", "-m", "build")
                + _indexes(calls, "twine"))
    assert installs and all(index > login for index in installs), (login, installs)


def test_the_build_ran_every_phase(build):
    done = build["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "[Container] Running command cat images.json" in done.stdout


def test_the_buildspec_has_codebuilds_structure(build):
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(build["spec"]))
    assert not errors, [e.message for e in errors]
    assert build["spec"]["artifacts"]["files"] == ["images.json", "published.json"]


def test_logins_precede_every_install(build):
    calls = build["calls"]
    installs_follow_the_login(calls)
    npm = _first(calls, "aws", "codeartifact", "login", "--tool", "npm")  # the checkout has a package.json
    assert npm < _first(calls, "pip", "install")
    assert _first(calls, "aws", "codeartifact", "login", "--tool", "twine") < _first(calls, "twine", "upload")
    for call in _indexes(calls, "aws", "codeartifact", "login"):
        assert calls[call][calls[call].index("--domain") + 1:][:1] == ["acme"]
        assert calls[call][calls[call].index("--repository") + 1] == "ml-packages"


def test_the_order_check_can_fail(build):
    """Negative control: the same calls with pip's login moved after the first install fail."""
    calls = list(build["calls"])
    login = calls.pop(_first(calls, "aws", "codeartifact", "login", "--tool", "pip"))
    calls.insert(_first(calls, "pip", "install") + 1, login)
    with pytest.raises(AssertionError):
        installs_follow_the_login(calls)


def test_docker_builds_mount_the_index_as_a_secret_never_an_argument(build):
    builds = [call for call in build["calls"] if call[:2] == ["docker", "build"]]
    assert len(builds) == 2
    expected = hashlib.sha256(f"https://aws:{TOKEN}@{ENDPOINT.removeprefix('https://')}simple/".encode()).hexdigest()
    for call in builds:
        assert call[call.index("--secret") + 1] == "id=pip-index-url,src=/tmp/mlopsc-pip-index-url"
        assert not any("codeartifact" in arg or "pip-index" in arg for i, arg in enumerate(call)
                       if i and call[i - 1] == "--build-arg")
    # The stub read the secret file: what a RUN --mount=type=secret,id=pip-index-url sees.
    assert [call[1] for call in build["calls"] if call[0] == "docker-secret"] == [expected, expected]
    assert not Path("/tmp/mlopsc-pip-index-url").exists(), "the build phase's finally removes the secret file"
    assert build["spec"]["phases"]["build"]["finally"] == ["rm -f /tmp/mlopsc-pip-index-url"]
    first = build["spec"]["phases"]["build"]["commands"][0]
    assert first.startswith("token=$(aws codeartifact get-authorization-token") and first.endswith("unset token")


def test_the_token_never_reaches_the_log(build):
    done = build["done"]
    assert TOKEN not in done.stdout + done.stderr
    assert TOKEN not in build["text"]
    assert not [call for call in build["calls"] if TOKEN in "\t".join(call)]
    for artefact in ("images.json", "published.json"):
        assert TOKEN not in (build["repo"] / artefact).read_text()
    # ... while the stub did hand it out (the check is not vacuous).
    assert _indexes(build["calls"], "aws", "codeartifact", "get-authorization-token")


def test_published_json_records_the_commit_version_and_sha256s(build):
    published = json.loads((build["repo"] / "published.json").read_text())
    version = f"0.1.0.post{COMMIT_TIME}"
    dist = Path("/tmp/mlopsc-dist")
    assert published == {
        "package": "churn", "version": version, "repository": "acme/ml-packages",
        "files": {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
                  for path in sorted(dist.iterdir()) if path.is_file()}}
    assert sorted(published["files"]) == [f"churn-{version}-py3-none-any.whl", f"churn-{version}.tar.gz"]
    (upload,) = [call for call in build["calls"] if call[:2] == ["twine", "upload"]]
    assert upload[-1].endswith(".tar.gz") or upload[-1].endswith(".whl")
    # The build's own checkout carries the version the package was built with.
    assert f'version = "{version}"' in (build["repo"] / "pyproject.toml").read_text()
    assert ["python3", "-m", "build"] == next(c for c in build["calls"] if c[:3] == ["python3", "-m", "build"])[:3]
    (stamped,) = [c for c in build["calls"] if c[0] == "build-epoch"]
    assert stamped == ["build-epoch", str(COMMIT_TIME)]
