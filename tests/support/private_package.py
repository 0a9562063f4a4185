"""A model whose requirements include a package only the CodeArtifact repository has, and which
publishes its own package (issue 21): churn-fargate's repository, renamed `churn-private`, with

- `acme-features`, the team's private feature library, in requirements.txt (no public index has it);
- a Dockerfile that installs the requirements through the BuildKit secret `pip-index-url`;
- `build.publish.package: .` (its pyproject.toml is the project published);
- a platform file with `codeartifact:` (the samples' platform otherwise).

Built by the tests rather than added to samples/: the samples' goldens stay as they are.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from compile_helpers import SAMPLES, SAMPLES_PLATFORM

MODEL = "churn-private"
PRIVATE_REQUIREMENT = "acme-features==2.1.0"
CODEARTIFACT = {"domain": "acme", "repository": "ml-packages"}
DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
# The index URL (with its token) is mounted for this instruction only: in no layer, no history.
RUN --mount=type=secret,id=pip-index-url \\
    PIP_INDEX_URL="$(cat /run/secrets/pip-index-url)" pip install --no-cache-dir -r requirements.txt
COPY src/ src/
USER nobody
"""


def platform_data(**codeartifact) -> dict:
    platform = yaml.safe_load(SAMPLES_PLATFORM.read_text(encoding="utf-8"))
    platform["codeartifact"] = {**CODEARTIFACT, **codeartifact}
    return platform


def private_package_repo(parent: Path, publish: bool = True, **codeartifact) -> Path:
    """parent/churn-private (a git-less model repository) and parent/mlops-platform.yaml."""
    repo = parent / MODEL
    shutil.copytree(SAMPLES / "churn-fargate", repo)
    config = yaml.safe_load((repo / "mlops.yaml").read_text(encoding="utf-8"))
    config["model"]["name"] = MODEL
    if publish:
        config["build"]["publish"] = {"package": "."}
    (repo / "mlops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    requirements = repo / "requirements.txt"
    requirements.write_text(requirements.read_text(encoding="utf-8") + PRIVATE_REQUIREMENT + "\n", encoding="utf-8")
    for dockerfile in (repo / "docker").glob("*.Dockerfile"):
        dockerfile.write_text(DOCKERFILE, encoding="utf-8")
    (parent / "mlops-platform.yaml").write_text(yaml.safe_dump(platform_data(**codeartifact), sort_keys=False),
                                                encoding="utf-8")
    return repo
