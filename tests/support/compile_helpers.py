"""Shared helpers for the `mlopsc compile` tests (tests/test_compile_*.py).

Nothing here imports the validate tests' helpers: the two suites share only pytest.

- `run_cli(...)` runs the real command line (`python -m compiler`, the installed package) in a
  subprocess; `invoke(...)` runs it in-process through click's CliRunner (fast, and lets a test
  monkeypatch the library).
- `make_repo(...)` writes a model repository (mlops.yaml + the Dockerfiles it names) next to a
  copy of the samples' platform file, in the same relative layout as samples/ (`../mlops-platform.yaml`).
- LONG_NAMES_CONFIGS, HOSTILE/BASELINE configs: the inputs of the limits and hostile-string tests.
- `AslValidator` / `CfnLint`: the two independent validators, batched, with the CI policy
  (missing validator: skip locally, fail under CI=true).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Iterable, Optional

import pytest
import yaml
from click.testing import CliRunner

from paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"
#: Each sample model's repository folder under samples/, by model name.
SAMPLE_REPOSITORIES = {"abalone": "abalone", "churn-fargate": "churn-fargate", "demand-forecast": "demand-forecast",
                       "fraud-scoring": "fraud-lambda"}
SAMPLES_PLATFORM = SAMPLES / "mlops-platform.yaml"
GOLDEN = REPO_ROOT / "tests" / "golden"


# --------------------------------------------------------------------------- running the CLI

def mlopsc_executable() -> str:
    """The installed console script. (Not `python -m compiler`: run from the repository root, -m
    would import the source tree, which is not the installed package.)"""
    beside = Path(sysconfig.get_path("scripts")) / "mlopsc"
    found = str(beside) if beside.exists() else shutil.which("mlopsc")
    assert found, "the mlopsc console script is not installed: pip install '.[test]'"
    return found


def run_cli(*args: str, cwd: Path | str = REPO_ROOT, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """`mlopsc ARGS`, the installed command line, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("MLOPSC_DEBUG", None)
    return subprocess.run([mlopsc_executable(), *args], cwd=str(cwd), env=full_env,
                          capture_output=True, text=True, timeout=120)


def invoke(*args: str):
    """The command line in-process (CliRunner); returns click's Result."""
    from compiler.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def compile_samples(out: Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    """The golden command: `mlopsc compile samples --platform samples/mlops-platform.yaml -o OUT`, from the repo root."""
    done = run_cli("compile", "samples", "--platform", "samples/mlops-platform.yaml", "-o", str(out), cwd=cwd)
    assert done.returncode == 0, f"compiling the samples failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    return done


def tree(root: Path) -> dict[str, bytes]:
    """Every file below root (hidden ones included), relative posix path -> bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry below root (dirs too, hidden ones included) -> (kind, bytes or None, inode, mtime_ns)."""
    result = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        result[path.relative_to(root).as_posix()] = ("file" if path.is_file() else "dir", content,
                                                     stat.st_ino, stat.st_mtime_ns)
    return result


def asl_files(out: Path) -> list[Path]:
    return sorted(out.glob("*/*/*.asl.json"))


# --------------------------------------------------------------------------- model repositories

def make_repo(parent: Path, name: str, config: str | dict, platform: Path = SAMPLES_PLATFORM) -> Path:
    """parent/<name>/mlops.yaml (+ every Dockerfile, code folder and published project it names) and
    parent/mlops-platform.yaml."""
    repo = parent / name
    repo.mkdir(parents=True, exist_ok=True)
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    (repo / "mlops.yaml").write_text(text, encoding="utf-8")
    data = yaml.safe_load(text)
    for runtime in (data.get("runtimes") or {}).values():
        if "dockerfile" in runtime:
            dockerfile = repo / runtime["dockerfile"]
            dockerfile.parent.mkdir(parents=True, exist_ok=True)
            dockerfile.write_text("FROM python:3.12-slim\n")
        if "code" in runtime:  # a prebuilt image's scripts
            (repo / runtime["code"]).mkdir(parents=True, exist_ok=True)
            (repo / runtime["code"] / "main.py").write_text("print('stage')\n")
    package = ((data.get("build") or {}).get("publish") or {}).get("package")
    if package is not None:  # the Python project the build publishes
        (repo / package).mkdir(parents=True, exist_ok=True)
        (repo / package / "pyproject.toml").write_text('[project]\nname = "model"\nversion = "1.0.0"\n')
    if not (parent / "mlops-platform.yaml").exists():
        shutil.copyfile(platform, parent / "mlops-platform.yaml")
    return repo


def compile_repos(parent: Path, repos: Iterable[str], out: Path) -> None:
    """Compile parent/<repo>... with parent/mlops-platform.yaml (in-process) and insist it worked."""
    result = invoke("compile", *[str(parent / r) for r in repos], "--platform", str(parent / "mlops-platform.yaml"),
                    "-o", str(out))
    assert result.exit_code == 0, f"compile failed ({result.exit_code}):\n{result.output}\n{result.exception!r}"


#: The longest names the schema allows: a 32-character model name, a 16-character environment.
LONG_MODEL = "abcdefghij-abcdefghij-abcdefghij"
LONG_ENVIRONMENT = "abcdefghij-abcde"
assert len(LONG_MODEL) == 32 and len(LONG_ENVIRONMENT) == 16

_LONG_BASE = f"""\
version: 1
model:
  name: {{name}}
runtimes:
  app:
    dockerfile: Dockerfile
stage_defaults:
  runtime: app
  compute: sagemaker
  instance_type: ml.m5.large
  timeout: 1h
pipelines:
  retrain:
    data:
      source: "s3://demo-data/raw/"
    triggers:
      schedule: "rate(1 day)"
      new_data:
        prefix: "s3://demo-data/raw/"
    stages:
      validate:
        compute: fargate
        cpu: 1024
        memory: 2048
        command: [python, validate.py]
      transform:
        command: [python, transform.py]
      tune:
        strategy: random
        objective: {{{{metric: "val:auc", goal: maximize}}}}
        max_jobs: 4
        max_parallel_jobs: 2
        parameters:
          eta: {{{{min: 0.01, max: 0.3, type: continuous}}}}
      train:
        spot: true
        hyperparameters: {{{{eta: 0.1, depth: 3}}}}
      evaluate:
        gate:
          - {{{{metric: auc, at_least: 0.8}}}}
{{deploy}}
  batch:
{{batch}}
    input: "s3://demo-data/score/"
    output: "s3://demo-data/out/"
    schedule: "rate(1 day)"
environments:
  {LONG_ENVIRONMENT}: {{{{}}}}
  dev: {{{{}}}}
"""

_DEPLOYS = {
    "endpoint": """\
  deploy:
    target: sagemaker-endpoint
    runtime: app
    endpoint:
      instance_type: ml.c5.xlarge
      autoscaling: {min: 1, max: 3, target_invocations: 100}
    traffic: {mode: canary, percent: 10, interval: 5m, bake: 10m, alarms: [some-alarm]}""",
    "lambda": """\
  deploy:
    target: lambda
    runtime: app
    traffic: {mode: linear, percent: 25, interval: 5m, bake: 10m, alarms: [some-alarm]}""",
    "ecs": """\
  deploy:
    target: ecs-service
    runtime: app
    service: {port: 8080}
    traffic: {alarms: [some-alarm]}""",
}
_BATCHES = {
    "endpoint": "    mode: mini\n    batch_size: 10\n    max_concurrency: 5",
    "lambda": "    mode: full",
    "ecs": "    mode: full\n    compute: fargate\n    cpu: 1024\n    memory: 2048",
}


def long_names_config(target: str, name: str = LONG_MODEL) -> str:
    """Every pipeline and stage kind, with the longest model and environment names allowed."""
    return _LONG_BASE.format(name=name, deploy=_DEPLOYS[target], batch=_BATCHES[target])


#: repo folder -> config; the model names differ in their last letters only (all 32 long).
LONG_NAMES_CONFIGS = {
    "endpoint": long_names_config("endpoint", LONG_MODEL),
    "lambda": long_names_config("lambda", LONG_MODEL[:-1] + "l"),
    "ecs": long_names_config("ecs", LONG_MODEL[:-1] + "e"),
}


# --------------------------------------------------------------------------- hostile strings

#: Strings that break JSON, Jinja2, shells, JSONPath or the ASL intrinsic grammar if pasted.
HOSTILE = (
    'double " quote',
    "single ' quote",
    "{braces} }{ {}",
    "{{ jinja_expression }}",
    "{% if true %}statement{% endif %}",
    "{# comment #}",
    "$HOME ${HOME} $(id) `id`",
    ".$",
    "$.pointers.Item",
    "$$.Execution.Name",
    "States.Format('{}', $$.Execution.Name)",
    "back\\slash \\n \\\\ \\u0041",
    "new\nline\ttab\rreturn",
    "ünïcødé ✓ 日本語 🚀 \u2028",
    '"}, "Next": "X',
    '", "Type": "Succeed"}, "Injected": {"Type": "Pass", "End": true',
    "'; rm -rf / #",
    "</script>&amp;<",
)
BENIGN = "plain"


def _config(strings: tuple, description: str) -> dict:
    """One config touching every free-text field that reaches an output: stage environment values
    (Fargate and SageMaker), container commands, build_args, test commands, hyper-parameters of a
    SageMaker and a Fargate training stage, deploy environment, the monitor's baseline and drift
    job, and the model description."""
    environment = {f"USER_VAR_{i:02d}": s for i, s in enumerate(strings)}
    hyperparameters = {f"hp_{i:02d}": s for i, s in enumerate(strings)}
    return {
        "version": 1,
        "model": {"name": "{name}", "description": description, "tags": {"team": "ml team: a/b=c+d@e-f.g"}},
        "runtimes": {"app": {"dockerfile": "Dockerfile",
                             "build_args": {f"ARG_{i:02d}": s for i, s in enumerate(strings)}}},
        "build": {"test_commands": list(strings)},
        "stage_defaults": {"runtime": "app", "compute": "fargate", "cpu": 1024, "memory": 2048, "timeout": "30m",
                           "environment": environment},
        "pipelines": {
            "retrain": {"data": {"source": "s3://demo-data/raw/"}, "stages": {
                "validate": {"command": list(strings)},
                "transform": {"compute": "sagemaker", "instance_type": "ml.m5.large", "command": list(strings)},
                "train": {"compute": "sagemaker", "instance_type": "ml.m5.large", "command": list(strings),
                          "hyperparameters": hyperparameters},
                "evaluate": {"command": list(strings), "gate": [{"metric": "auc", "at_least": 0.8}]}}},
            "deploy": {"target": "lambda", "runtime": "app", "environment": environment},
            "batch": {"mode": "full", "input": "s3://demo-data/score/", "output": "s3://demo-data/out/",
                      "command": list(strings)},
        },
        # The monitor's stages (baseline, the lambda target's drift job) carry free text too.
        "monitor": {"baseline": {"command": list(strings)},
                    "drift": {"features": {"amount": 0.2}, "job": {"command": list(strings), "environment": environment}},
                    "health": {"max_error_rate": 0.01}},
    }


def hostile_config(name: str = "hostile-model") -> dict:
    config = _config(HOSTILE, " | ".join(HOSTILE))
    config["model"]["name"] = name
    return config


def baseline_config(name: str = "hostile-model") -> dict:
    """The same structure with plain strings: the state machines must have the same states."""
    config = _config(tuple(f"{BENIGN}{i}" for i in range(len(HOSTILE))), "plain description")
    config["model"]["name"] = name
    return config


def hostile_fargate_train_config(name: str = "hostile-fargate") -> dict:
    """Hyper-parameters of a Fargate training stage travel as JSON in MLOPS_PARAMS."""
    config = hostile_config(name)
    train = config["pipelines"]["retrain"]["stages"]["train"]
    train.pop("instance_type")
    train.update(compute="fargate")
    del config["pipelines"]["deploy"], config["monitor"]  # the monitor watches a deployment
    return config


# --------------------------------------------------------------------------- JSON walking

def walk(node, path: str = ""):
    """(path, key, value) for every member and item; key is None for list items."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}/{key}"
            yield child, key, value
            yield from walk(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            child = f"{path}[{index}]"
            yield child, None, value
            yield from walk(value, child)


def strings_in(node) -> list[tuple[str, str]]:
    return [(path, value) for path, _, value in walk(node) if isinstance(value, str)]


def all_states(definition: dict, prefix: str = "") -> dict[str, dict]:
    """State name -> state, including the states of Map item processors and Parallel branches."""
    found = {}
    for name, state in definition["States"].items():
        found[prefix + name] = state
        for processor in [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]:
            if processor:
                found.update(all_states(processor, f"{prefix}{name} / "))
    return found


def transitions(state: dict) -> list[str]:
    targets = [state["Next"]] if "Next" in state else []
    targets += [c["Next"] for c in state.get("Catch", [])]
    if state.get("Type") == "Choice":
        targets += [c["Next"] for c in state["Choices"]]
        if "Default" in state:
            targets.append(state["Default"])
    return targets


def wiring(definition: dict) -> dict[str, tuple]:
    """State name -> (Type, transitions, End): the shape of a state machine, without its values."""
    return {name: (state["Type"], tuple(transitions(state)), state.get("End", False))
            for name, state in all_states(definition).items()}


def duplicate_keys(text: str) -> list[str]:
    """Keys that occur twice in one JSON object (json.loads would silently keep the last)."""
    duplicates: list[str] = []

    def hook(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return duplicates


# --------------------------------------------------------------------------- intrinsic functions

TOKEN_EXPRESSION = "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0)"
#: What the token is at run time: the first group of a UUID, 8 hex characters.
SAMPLE_TOKEN = "0f1e2d3c"
_FORMAT = re.compile(r"^States\.Format\('((?:[^'\\]|\\.)*)'((?:, .+)?)\)$", re.S)


def split_arguments(text: str) -> list[str]:
    """Top-level comma-separated arguments of an intrinsic call (quotes and parentheses respected)."""
    arguments, depth, current, quoted, escaped = [], 0, "", False, False
    for char in text:
        if escaped:
            current, escaped = current + char, False
            continue
        if char == "\\":
            current, escaped = current + char, True
            continue
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            arguments.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        arguments.append(current.strip())
    return arguments


def evaluate_format(expression: str, values: dict[str, str]) -> str:
    """Evaluate `States.Format('template', arg, ...)` with `values` for the arguments (JSONPaths or
    nested intrinsics, matched literally); the template's escapes (\\' \\{ \\} \\\\) are undone."""
    match = _FORMAT.match(expression)
    assert match, f"not a States.Format call: {expression}"
    template, rest = match.group(1), match.group(2)
    arguments = split_arguments(rest[2:]) if rest else []
    unknown = [a for a in arguments if a not in values]
    assert not unknown, f"{expression}: no value to measure for {unknown}"
    pieces, index, i = [], 0, 0
    while i < len(template):
        char = template[i]
        if char == "\\":
            pieces.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            pieces.append(values[arguments[index]])
            index += 1
            i += 2
        else:
            assert char not in "{}'", f"{expression}: unescaped {char!r} in the template"
            pieces.append(char)
            i += 1
    assert index == len(arguments), f"{expression}: {len(arguments)} arguments for {index} placeholders"
    return "".join(pieces)


# --------------------------------------------------------------------------- validators

def require_tool(available: bool, reason: str) -> None:
    """A missing validator skips the test locally and fails it under CI=true."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: a missing validator is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


class NpmTools:
    """Validators from npm, pinned in package.json and installed by `npm ci` into node_modules."""

    PACKAGES: tuple = ()

    @classmethod
    def problem(cls) -> Optional[str]:
        """Why the tools cannot run, or None."""
        if shutil.which("node") is None:
            return f"node is not installed (needed by the npm {', '.join(cls.PACKAGES)})"
        pins = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]
        for package in cls.PACKAGES:
            manifest = REPO_ROOT / "node_modules" / package / "package.json"
            if not manifest.exists():
                return f"node_modules/{package} is missing: run `npm ci` in {REPO_ROOT}"
            installed = json.loads(manifest.read_text())["version"]
            if installed != pins[package]:
                return f"node_modules has {package} {installed}, package.json pins {pins[package]}: run `npm ci`"
        return None

    @classmethod
    def require(cls) -> None:
        problem = cls.problem()
        require_tool(problem is None, problem or "")


class AslValidator(NpmTools):
    """The npm `asl-validator`."""

    PACKAGES = ("asl-validator",)
    BIN = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
    _RESULT = re.compile(r'^[✓✕] State machine definition "(?P<path>.+)" is (?P<verdict>valid|invalid:?)$')

    @classmethod
    def run(cls, paths: list[Path]) -> dict[str, tuple[bool, str]]:
        """str(path) -> (valid, messages), for all paths in one node process."""
        args = [str(cls.BIN)]
        for path in paths:
            args += ["--json-path", str(path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        results: dict[str, list] = {}
        current = None
        for line in (done.stdout + "\n" + done.stderr).splitlines():
            match = cls._RESULT.match(line.strip())
            if match:
                current = match.group("path")
                results[current] = [match.group("verdict") == "valid", []]
            elif line.strip() and current is not None:
                results[current][1].append(line.strip())
        missing = [str(p) for p in paths if str(p) not in results]
        assert not missing, f"asl-validator said nothing about {missing}:\n{done.stdout}\n{done.stderr}"
        assert (done.returncode == 0) == all(ok for ok, _ in results.values()), \
            f"asl-validator exit code {done.returncode} disagrees with its report:\n{done.stdout}\n{done.stderr}"
        return {path: (ok, "\n".join(messages)) for path, (ok, messages) in results.items()}


class GraphTools(NpmTools):
    """Mermaid's own parser (the npm `mermaid`, which GitHub's renderer is built on, under jsdom) and
    Graphviz `dot` compiled to WebAssembly (npm `@hpcc-js/wasm-graphviz`), run headless by
    tests/support/graph_parse.mjs."""

    SCRIPT = REPO_ROOT / "tests" / "support" / "graph_parse.mjs"
    PACKAGES = ("mermaid", "jsdom", "@hpcc-js/wasm-graphviz")

    @classmethod
    def run(cls, kind: str, paths: list[Path]) -> dict[str, Optional[str]]:
        """str(path) -> None when the tool accepts it (`kind` mermaid or dot), else its message."""
        done = subprocess.run(["node", str(cls.SCRIPT), kind, *map(str, paths)], capture_output=True, text=True,
                              timeout=120, cwd=REPO_ROOT)
        assert done.returncode == 0, f"graph_parse.mjs failed:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)


class ReportBrowser(NpmTools):
    """A real headless browser: the machine's Chromium (Debian's `chromium` package; another one by
    MLOPSC_CHROMIUM) driven by the npm `playwright-core` (no browser download of its own), run by
    tests/support/report_browser.mjs."""

    SCRIPT = REPO_ROOT / "tests" / "support" / "report_browser.mjs"
    PACKAGES = ("playwright-core",)
    CHROMIUMS = ("chromium", "chromium-browser")

    @classmethod
    def chromium(cls) -> Optional[str]:
        chosen = os.environ.get("MLOPSC_CHROMIUM")
        if chosen:
            return chosen if Path(chosen).is_file() else None
        return next((found for name in cls.CHROMIUMS if (found := shutil.which(name))), None)

    @classmethod
    def problem(cls) -> Optional[str]:
        if cls.chromium() is None:
            return ("no Chromium: install Debian's `chromium` package (apt-get install chromium), or name "
                    "a Chromium executable in MLOPSC_CHROMIUM")
        return super().problem()

    @classmethod
    def open(cls, page: Path, screenshot: Path) -> dict:
        """What loading `page` did (report_browser.mjs); the screenshot is written to `screenshot`."""
        done = subprocess.run(["node", str(cls.SCRIPT), str(page), str(screenshot), cls.chromium()],
                              capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
        assert done.returncode == 0, f"report_browser.mjs failed:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)


def artifacts_folder() -> Path:
    """Where tests put what CI keeps of a run (screenshots): MLOPSC_TEST_ARTIFACTS, or
    test-artifacts/ at the repository's root (git-ignored)."""
    folder = Path(os.environ.get("MLOPSC_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class CfnLint:
    """cfn-lint (the `test` extra), on each definition wrapped as an AWS::StepFunctions::StateMachine."""

    @staticmethod
    def executable() -> Optional[str]:
        beside = Path(sysconfig.get_path("scripts")) / "cfn-lint"
        if beside.exists():
            return str(beside)
        return shutil.which("cfn-lint")

    @classmethod
    def require(cls) -> None:
        require_tool(cls.executable() is not None,
                     "cfn-lint is not installed: pip install '.[test]' (it is in the `test` extra)")

    @staticmethod
    def template(definition: dict, role: str = "arn:aws:iam::111111111111:role/mlops-pipeline") -> dict:
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "A generated state machine, wrapped so that cfn-lint checks its definition (E3601).",
            "Resources": {"StateMachine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "StateMachineType": "STANDARD", "RoleArn": role, "Definition": definition}}},
        }

    @classmethod
    def run(cls, definitions: dict[str, dict], workdir: Path, region: str = "eu-west-1") -> dict[str, list[str]]:
        """label -> problems (errors and warnings) for each definition, in one cfn-lint process."""
        workdir.mkdir(parents=True, exist_ok=True)
        files = {}
        for index, (label, definition) in enumerate(sorted(definitions.items())):
            path = workdir / f"template-{index:03d}.json"
            path.write_text(json.dumps(cls.template(definition), indent=1, ensure_ascii=False), encoding="utf-8")
            files[str(path)] = label
        done = subprocess.run([cls.executable(), "--format", "parseable", "--regions", region, "--", *files],
                              capture_output=True, text=True, timeout=300)
        problems: dict[str, list[str]] = {label: [] for label in files.values()}
        for line in done.stdout.splitlines():
            path, _, rest = line.partition(":")
            # parseable: file:line:col:endline:endcol:RULE:message
            fields = rest.split(":", 5)
            if path not in files or len(fields) < 6:
                continue
            rule = fields[4]
            if rule[:1] in ("E", "W"):
                problems[files[path]].append(f"{rule} line {fields[0]}: {fields[5]}")
        assert done.returncode < 16, \
            f"cfn-lint did not run ({done.returncode}):\n{done.stderr}"
        found_any = any(problems.values())
        assert found_any or done.returncode == 0, f"cfn-lint exit {done.returncode} without a parsed problem:\n{done.stdout}"
        return problems


# --------------------------------------------------------------------------- shared compiled outputs
#
# Session fixtures, imported by the test modules that use them. The cache makes each one compile
# once per session even though several modules import the fixture.

_COMPILED: dict[str, Path] = {}


@pytest.fixture(scope="session")
def samples_out(tmp_path_factory) -> Path:
    """OUT of the golden command (real CLI, subprocess), compiled once per session."""
    if "samples" not in _COMPILED:
        out = tmp_path_factory.mktemp("samples-out") / "out"
        compile_samples(out)
        _COMPILED["samples"] = out
    return _COMPILED["samples"]


@pytest.fixture(scope="session")
def long_names_out(tmp_path_factory) -> Path:
    """OUT of the LONG_NAMES_CONFIGS (32-character model, 16-character environment)."""
    if "long" not in _COMPILED:
        parent = tmp_path_factory.mktemp("long-names")
        for folder, config in LONG_NAMES_CONFIGS.items():
            make_repo(parent, folder, config)
        compile_repos(parent, LONG_NAMES_CONFIGS, parent / "out")
        _COMPILED["long"] = parent / "out"
    return _COMPILED["long"]


MODEL_HOSTILE = "hostile-model/default"
HOSTILE_REPOS = {"hostile": hostile_config, "baseline": baseline_config, "hostile-fargate": hostile_fargate_train_config}


@pytest.fixture(scope="session")
def hostile_out(tmp_path_factory) -> dict[str, Path]:
    """{"hostile": OUT of the hostile configs, "baseline": OUT of the plain baseline}. The baseline
    has the same model name as the hostile config, so it gets its own OUT."""
    if "hostile" not in _COMPILED:
        parent = tmp_path_factory.mktemp("hostile")
        for folder, factory in HOSTILE_REPOS.items():
            make_repo(parent, folder, factory())
        compile_repos(parent, ["hostile", "hostile-fargate"], parent / "out")
        compile_repos(parent, ["baseline"], parent / "baseline-out")
        _COMPILED["hostile"] = parent / "out"
        _COMPILED["baseline"] = parent / "baseline-out"
    return {"hostile": _COMPILED["hostile"], "baseline": _COMPILED["baseline"]}


def compiled_sample_definitions() -> dict:
    """'model/env/pipeline.asl.json' -> definition, for every sample, compiled in memory."""
    from compiler import api

    result = api.compile_outputs([str(SAMPLES)], str(SAMPLES_PLATFORM))
    assert result.validation.ok, result.validation.problems
    return {f"{target}/{name}": json.loads(text) for target, files in result.outputs.items()
            for name, text in files.items() if name.endswith(".asl.json")}
