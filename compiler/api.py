"""The library calls the command line wraps: validate configs into models."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional

from compiler import discover, resolve
from compiler.checks import check_across, check_config, distinct_models, load_platform, outside_repository
from compiler.errors import InputError
from compiler.model import ModelConfig
from compiler.problems import Problem


@dataclasses.dataclass(frozen=True)
class Validation:
    files: tuple  # config files checked, as given
    problems: tuple  # of Problem, sorted
    models: tuple  # of ModelConfig, one per valid config and environment

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(paths: list[str], platform_file: Optional[str] = None) -> Validation:
    """Check every config the paths name. Raises discover.DiscoveryError for paths naming none."""
    files = discover.config_files(paths)
    platforms = _PlatformFiles(Path(platform_file) if platform_file else None)
    problems: list[Problem] = []
    valid = []
    for config_file in files:
        platform, platform_problems = platforms.for_config(config_file)
        if platform_problems:
            problems.extend(platform_problems)
            continue
        checked = check_config(config_file, platform)
        problems.extend(checked.problems)
        if not checked.problems:
            valid.append(checked)
    duplicates, valid = distinct_models(valid)
    problems.extend(duplicates)
    models = []
    for checked in valid:
        sources = _sources(Path(checked.config_file), checked)
        models.extend(resolve.model_config(effective.data, effective.environment, sources)
                      for effective in checked.environments)
    problems.extend(check_across(valid))
    return Validation(tuple(str(f) for f in files), tuple(sorted(set(problems))), tuple(models))


class _PlatformFiles:
    """The platform file of each config: the one given with --platform, else the nearest
    mlops-platform.yaml (see discover.platform_file_for). Each file is loaded once."""

    def __init__(self, given: Optional[Path]):
        self.given = given
        self.loaded: dict[Path, tuple] = {}

    def for_config(self, config_file: Path) -> tuple:
        path = self.given or discover.platform_file_for(config_file)
        if path is None:
            return None, []
        outside = outside_repository(path, discover.repository_root(config_file), "platform file")
        if outside:
            return None, outside
        if path not in self.loaded:
            document, problems = load_platform(path)
            self.loaded[path] = (document, tuple(problems))
        return self.loaded[path]


def _sources(config_file: Path, checked) -> tuple:
    """The files read, named relative to the model repository's root (never absolute)."""
    root = config_file.parent
    sources = [resolve.source_file(config_file.name, checked.document.text)]
    if checked.platform is not None:
        relative = os.path.relpath(Path(checked.platform.file).resolve(), root.resolve())
        sources.append(resolve.source_file(Path(relative).as_posix(), checked.platform.text))
    return tuple(sources)


@dataclasses.dataclass(frozen=True)
class Compilation:
    validation: Validation
    outputs: dict  # "model/env" -> file name -> text


def compile_outputs(paths: list[str], platform_file: Optional[str] = None,
                    environment: Optional[str] = None) -> Compilation:
    """Validate, then render every model and environment in memory (nothing is written) and prove
    its state machines (raises verify.UnprovenDefinition when one is not proven)."""
    from compiler import render

    validation = validate(paths, platform_file)
    if not validation.ok:
        return Compilation(validation, {})
    models = list(validation.models)
    if environment is not None:
        lacking = sorted({m.name for m in models} - {m.name for m in models if m.environment == environment})
        if lacking:
            raise UnknownEnvironment(f"no environment '{environment}' in: {', '.join(lacking)}")
        models = [m for m in models if m.environment == environment]
    outputs = {f"{m.name}/{m.environment}": render.render_files(m) for m in models}
    prove(outputs)
    return Compilation(validation, outputs)


def prove(outputs: dict) -> None:
    """Every state machine mlopsc renders must be proven by `verify` before anything is written:
    one it cannot prove is a bug in mlopsc (verify.UnprovenDefinition, exit 70)."""
    from compiler import verify

    findings = verify.verify_rendered(outputs)
    if findings:
        raise verify.UnprovenDefinition(findings)


class UnknownEnvironment(InputError):
    """--env names an environment some config does not define."""
