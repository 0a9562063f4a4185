"""The build stage's CodeArtifact commands (`platform.codeartifact`, `build.publish`), for
render/buildspec.py.

- Logins come first in pre_build, before any test command installs anything: pip always, npm
  when the checkout has a package.json (`aws codeartifact login` writes the token into pip's and
  npm's own configuration; it prints the endpoint, never the token: CodeArtifact User Guide,
  "Configure and use pip with CodeArtifact").
- `docker build` gets the pip index URL (which holds the token) as the BuildKit secret
  `pip-index-url`, from a file only the build's user can read, outside the build context: a
  secret is mounted for one RUN instruction and is kept in no layer and no image history, which a
  build argument would be (Docker documentation, "Build secrets"). The token sits in a shell
  variable of one command line and is unset there: CodeBuild logs the command as written, not
  its expansion. The file exists during the build phase only (written first, removed by its
  `finally`).
- Publishing (`build.publish.package`): the project's version becomes `<release>.post<commit
  time>` (PEP 440; docs/config.md, Private packages), its wheel and sdist are built with
  SOURCE_DATE_EPOCH at the commit time and uploaded with twine; published.json, beside images.json, records the package,
  its version and every file's sha256. A re-run of the same commit finds the version there
  (`--skip-existing`) and checks that the wheel in the repository is the one it built.
"""

from __future__ import annotations

import shlex
from typing import Optional

from compiler.model import CodeArtifact, ModelConfig

#: The BuildKit secret the Dockerfiles mount (`RUN --mount=type=secret,id=pip-index-url`).
SECRET_ID = "pip-index-url"
#: Outside the source folder (so outside every build context), readable by the build's user only.
SECRET_FILE = "/tmp/mlopsc-pip-index-url"
DIST = "/tmp/mlopsc-dist"
PUBLISHED = "published.json"
#: The publishing tools, pinned (installed through the CodeArtifact repository, after the login).
#: twine stays at 6.1: `--skip-existing` (a commit built again) relies on its reading CodeArtifact's
#: HTTP 409 for a version that exists as "already there", which later twine releases changed.
TOOLS = ("build==1.2.2", "twine==6.1.0")
COMMIT_TIME = '"$(git log -1 --format=%ct HEAD)"'

#: Sets the version of the project in the folder argv[1] to `<release>.post<argv[2]>` in its
#: pyproject.toml (the build's own checkout) and prints `<name> <version>`. Python 3.11+ (tomllib):
#: the CodeBuild standard images' Python. No single quote in it: it is one shell word.
_SET_VERSION = r"""import pathlib, re, sys, tomllib
path = pathlib.Path(sys.argv[1], "pyproject.toml")
text = path.read_text(encoding="utf-8")
project = tomllib.loads(text).get("project", {})
release = re.match(r"[0-9]+(\.[0-9]+)*", str(project.get("version", "")))
if "version" in project.get("dynamic", []) or not release or not project.get("name"):
    sys.exit(f"{path}: [project] must declare a name and a static version (PEP 621)")
version = f"{release[0]}.post{int(sys.argv[2])}"
table = re.search(r"(?ms)^\[project\][ \t]*$.*?(?=^\[|\Z)", text)
line = re.compile(r"(?m)^(version[ \t]*=[ \t]*)([\x22\x27]).*?\2")
if table is None or len(line.findall(table[0])) != 1:
    sys.exit(f"{path}: [project] has no single version line to set")
table_text = line.sub(lambda found: found[1] + chr(34) + version + chr(34), table[0])
path.write_text(text[:table.start()] + table_text + text[table.end():], encoding="utf-8")
print(project["name"], version)
"""


def _repository_options(codeartifact: CodeArtifact) -> str:
    return (f"--domain {shlex.quote(codeartifact.domain)} --domain-owner {shlex.quote(codeartifact.domain_owner)} "
            f"--region {shlex.quote(codeartifact.region)} --repository {shlex.quote(codeartifact.repository)}")


def logins(config: ModelConfig) -> list:
    """pre_build's first commands: pip's login, and npm's when the checkout has a package.json."""
    codeartifact = config.platform.codeartifact
    if codeartifact is None:
        return []
    options = _repository_options(codeartifact)
    return [f"aws codeartifact login --tool pip {options}",
            f"if [ -f package.json ]; then aws codeartifact login --tool npm {options}; fi"]


def secret(config: ModelConfig) -> list:
    """The build phase's first command when it builds images: the index URL, with a token of its
    own, into the file the docker builds mount; the build phase's `finally` removes it."""
    codeartifact = config.platform.codeartifact
    if codeartifact is None or not config.built_runtimes:
        return []
    domain = (f"--domain {shlex.quote(codeartifact.domain)} --domain-owner {shlex.quote(codeartifact.domain_owner)} "
              f"--region {shlex.quote(codeartifact.region)}")
    return [f"token=$(aws codeartifact get-authorization-token {domain} --query authorizationToken --output text) && "
            f"endpoint=$(aws codeartifact get-repository-endpoint {_repository_options(codeartifact)} --format pypi "
            "--query repositoryEndpoint --output text) && "
            f"(umask 077 && printf '%s' \"https://aws:${{token}}@${{endpoint#https://}}simple/\" > {SECRET_FILE}) && "
            "unset token"]


def docker_secret(config: ModelConfig) -> list:
    """The `docker build` options that mount the index URL for the Dockerfile's RUN instructions."""
    if config.platform.codeartifact is None:
        return []
    return ["--secret", f"id={SECRET_ID},src={SECRET_FILE}"]


def forget_secret(config: ModelConfig) -> dict:
    """The build phase's `finally` (run whether its commands succeed or not: CodeBuild User Guide,
    "Build specification reference", phases/*/finally): the index URL is needed by the builds only."""
    return {"finally": [f"rm -f {SECRET_FILE}"]} if secret(config) else {}


def publish(config: ModelConfig) -> list:
    """The build phase's last commands: build, publish and record the model's package."""
    folder: Optional[str] = config.build.publish
    codeartifact = config.platform.codeartifact
    if folder is None:  # rule codeartifact: build.publish comes with platform.codeartifact
        return []
    options = _repository_options(codeartifact)
    repository = f"{codeartifact.domain}/{codeartifact.repository}"
    return [
        f"pip install --quiet --disable-pip-version-check {' '.join(TOOLS)}",
        f"MLOPS_PACKAGE=$(python3 -c {shlex.quote(_SET_VERSION)} {shlex.quote(folder)} {COMMIT_TIME}) && "
        'MLOPS_PACKAGE_NAME="${MLOPS_PACKAGE% *}" && MLOPS_PACKAGE_VERSION="${MLOPS_PACKAGE#* }"',
        f"rm -rf {DIST} && SOURCE_DATE_EPOCH={COMMIT_TIME} python3 -m build --sdist --wheel --outdir {DIST} "
        f"{shlex.quote(folder)}",
        f"aws codeartifact login --tool twine {options}",
        f"twine upload --repository codeartifact --skip-existing --disable-progress-bar {DIST}/*",
        # A version that was there already (a re-run, or another commit of the same second) must
        # hold the wheel built here.
        f"pip download --quiet --no-deps --no-cache-dir --only-binary :all: --dest {DIST}/published "
        f'"$MLOPS_PACKAGE_NAME==$MLOPS_PACKAGE_VERSION" && '
        f"same=true; for wheel in {DIST}/*.whl; do cmp -s \"$wheel\" \"{DIST}/published/$(basename \"$wheel\")\" || "
        "same=false; done; $same || "
        '{ echo "$MLOPS_PACKAGE_NAME $MLOPS_PACKAGE_VERSION is in the repository with other content" >&2; false; }',
        f"sha256sum {DIST}/*.whl {DIST}/*.tar.gz | "
        f"jq -R -n --arg package \"$MLOPS_PACKAGE_NAME\" --arg version \"$MLOPS_PACKAGE_VERSION\" "
        f"--arg repository {shlex.quote(repository)} "
        "'{package: $package, version: $version, repository: $repository, files: ([inputs | split(\"  \") | "
        "{key: (.[1] | split(\"/\") | last), value: .[0]}] | from_entries)}' "
        f"> {PUBLISHED}",
        f"cat {PUBLISHED}",
    ]


def artifacts(config: ModelConfig) -> list:
    return [PUBLISHED] if config.build.publish is not None else []
