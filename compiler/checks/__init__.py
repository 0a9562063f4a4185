"""Check a model repository's config: load, schema pass, then semantic rules, per environment.

Returns every problem at once; only a config without problems yields a model.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, Optional

from compiler import discover, load, overlay
from compiler.checks import schema
from compiler.checks.rule_context import RuleContext
from compiler.checks.finding import Finding
from compiler.checks.rules import ACROSS, ALL as RULES, EVERY
from compiler.checks.rules import (arns, codeartifact, duplicate_model, outside_repository as outside,
                                   platform_conflict, platform_stack, service_quotas)
from compiler.load import Document, load_file
from compiler.problems import ConfigError, Location, Problem, dotted


@dataclasses.dataclass(frozen=True)
class Checked:
    """The outcome of checking one config: problems, or the effective config of each environment."""

    config_file: str
    problems: tuple
    environments: tuple = ()  # of overlay.Effective, when there are no problems
    document: Optional[Document] = None
    platform: Optional[Document] = None


def catalogue() -> list[tuple[str, str, str]]:
    """(rule id, one-line description, source file) of every check that reports problems in
    configs, sorted by id: the loader's, the schema pass and each rule (docs/rules.md lists them)."""
    modules = (load, schema) + EVERY
    return sorted((module.RULE, module.DESCRIPTION, module.__name__.replace(".", "/") + ".py") for module in modules)


def load_platform(path: Optional[Path]) -> tuple[Optional[Document], list[Problem]]:
    if path is None:
        return None, []
    try:
        return load_file(path, str(path), "platform file"), []
    except ConfigError as error:
        return None, [error.problem]


def outside_repository(path: Path, root: Path, what: str) -> list[Problem]:
    """[the problem, at the top of the file] when the file at `path` leads outside the repository
    `root` (rule outside-repository), else []."""
    return list(_to_problems(outside.check_file(path, root, what), {(): Location(str(path), 1, 1)}))


def check_platform_file(path: Path) -> tuple[Optional[Document], list[Problem]]:
    """The platform file alone, as `mlopsc bootstrap platform` reads it (there is no model): the
    schema pass and the ARN and CodeArtifact rules over it as a config's `platform:` block, and the
    keys the platform stack needs. Problems are located in the file, where the keys sit at the top level."""
    document, problems = load_platform(path)
    if document is None:
        return None, problems
    data = {"platform": document.data}
    findings = [finding for finding in schema.check(data) if finding.path[:1] == ("platform",)]
    findings += platform_stack.check_platform(document.data)
    if not findings:
        context = RuleContext(data, "platform", path.parent)
        findings += [*arns.check(context), *codeartifact.check(context)]
    if findings:
        locations = {("platform",) + written: location for written, location in document.locations.items()}
        return None, sorted(set(_to_problems(findings, locations)))
    return document, []


def check_config(config_path: Path, platform: Optional[Document]) -> Checked:
    display = str(config_path)
    outside = outside_repository(config_path, discover.repository_root(config_path), "config")
    if outside:
        return Checked(display, tuple(outside))
    try:
        document = load_file(config_path, display)
    except ConfigError as error:
        return Checked(display, (error.problem,))
    problems: set[Problem] = set()
    problems.update(_to_problems(_overlay_findings(document), document.locations))
    over_quota = list(_to_problems(service_quotas.check_document(document.data), document.locations))
    if over_quota:  # resolving thousands of environments would take minutes: say so at once
        return Checked(display, tuple(sorted(problems | set(over_quota))))
    if platform is not None:
        problems.update(_to_problems(platform_conflict.check_files(document, platform), document.locations))
    effective = []
    for environment in overlay.environment_names(document):
        resolved = overlay.resolve(document, platform, environment)
        structural = list(schema.check(resolved.data))
        context = RuleContext(resolved.data, environment, config_path.parent)
        findings = structural + _uncovered(_semantic(context, trusted=not structural), structural)
        problems.update(_to_problems(findings, resolved.locations))
        effective.append(resolved)
    ordered = tuple(sorted(problems))
    # Only a config with no problems at all becomes a model.
    return Checked(display, ordered, () if ordered else tuple(effective), document, platform)


def check_across(checked: list) -> list[Problem]:
    """The ACROSS rules over every environment of every valid config in `checked` (a monorepo's
    models are checked together); each problem is located in the config that holds the value."""
    effective = [(item, env) for item in checked for env in item.environments]
    entries = [(f"{env.data['model']['name']} ({env.environment}, {item.config_file})", env.environment, env.data)
               for item, env in effective]
    problems = set()
    for rule in ACROSS:
        for index, finding in rule.check_across(entries):
            problems.update(_to_problems([finding], effective[index][1].locations))
    return sorted(problems)


def distinct_models(checked: list) -> tuple[list[Problem], list]:
    """(problems, the configs kept) of `checked`, valid configs in the order checked: a config whose
    model name an earlier one defines is refused (rule duplicate-model)."""
    entries = [(item.config_file, item.document.data["model"]["name"]) for item in checked]
    problems, refused = [], set()
    for index, finding in duplicate_model.check_configs(entries):
        problems.extend(_to_problems([finding], checked[index].document.locations))
        refused.add(index)
    return problems, [item for index, item in enumerate(checked) if index not in refused]


def _semantic(context: RuleContext, trusted: bool) -> list[Finding]:
    """Run every rule. On a config the schema rejected, a rule may meet values of the wrong
    type; it is then skipped (the schema's findings already cover that part), so that the
    other rules still report all they can. On a config the schema accepted, a crash is a bug."""
    findings: list[Finding] = []
    for rule in RULES:
        try:
            findings.extend(rule.check(context))
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            if trusted:
                raise
    return findings


def _uncovered(semantic: list[Finding], structural: list[Finding]) -> list[Finding]:
    """Drop what a rule says about a value the schema already rejected (`memory: lots` is a type
    error; that Fargate has no task size with memory 'lots' adds nothing)."""
    rejected = [finding.path for finding in structural]
    return [finding for finding in semantic
            if not any(finding.path[: len(path)] == path for path in rejected)]


def _overlay_findings(document: Document) -> Iterable[Finding]:
    """The schema pass over the file as written, for what only overlays can get wrong
    (environment names, keys an overlay may not set); the rest is checked once merged."""
    if "environments" not in document.data:
        return []
    return [finding for finding in schema.check(document.data)
            if finding.path[:1] == ("environments",) and len(finding.path) <= 3]


def _locate(locations: dict, path: tuple) -> tuple[tuple, Location]:
    """The location of `path`, or of its nearest ancestor that was written down."""
    found = path
    while found not in locations and found:
        found = found[:-1]
    return found, locations[found]


def _to_problems(findings: Iterable[Finding], locations: dict) -> Iterable[Problem]:
    for finding in findings:
        found, location = _locate(locations, finding.anchor if finding.anchor is not None else finding.path)
        if finding.at_key or found != finding.path:
            location = location.at_key()
        # Name the path as written in the file that holds it: an overlay's value under
        # environments.<env>, a platform file's at its top level.
        shown = location.path + finding.path[len(found):] if finding.path[: len(found)] == found else finding.path
        yield Problem(location.file, location.line, location.col, dotted(shown),
                      finding.message, finding.hint, finding.rule)
