"""Reporters, chosen by name in one place (check-jsonschema's REPORTER_BY_NAME): a command's
`--format` picks a reporter of what it prints (a problem list, verify's findings, apply's plan and
outcome, a diff, a graph, runs, registry entries). A reporter writes; it never decides the exit code
(compiler/cli/outcome.py does).

Results that are their own library's data keep their renderers there (compiler/diff/render.py,
compiler/graph/, compiler/cli/apply_report.py); only the choice by name is made here.
"""

from __future__ import annotations

import json
from typing import Callable, TextIO

from compiler.problems import Problem, one_line


def text(problems: list[Problem], out: TextIO) -> None:
    for problem in problems:
        out.write(one_line(f"{problem.file}:{problem.line}:{problem.col}: error: {problem.path}: {problem.message}") + "\n")
        if problem.hint:
            out.write(one_line(f"  hint: {problem.hint}") + "\n")


def as_json(problems: list[Problem], out: TextIO) -> None:
    fields = ("file", "line", "column", "path", "message", "hint", "rule")
    rows = [dict(zip(fields, (p.file, p.line, p.col, p.path, p.message, p.hint, p.rule))) for p in problems]
    out.write(json.dumps(rows, indent=2) + "\n")


def github(problems: list[Problem], out: TextIO) -> None:
    """GitHub Actions workflow commands; data is escaped as the runner documents."""
    for problem in problems:
        message = f"{problem.path}: {problem.message}" + (f" (hint: {problem.hint})" if problem.hint else "")
        out.write(f"::error file={_escape_property(problem.file)},line={problem.line},col={problem.col},"
                  f"title={_escape_property('mlopsc ' + problem.rule)}::{_escape_data(message)}\n")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def findings_text(findings: list, out: TextIO) -> None:
    for finding in findings:
        out.write(one_line(finding.text()) + "\n")


def findings_json(findings: list, out: TextIO) -> None:
    rows = [{"file": f.file, "state": f.problem.state, "field": f.problem.field, "path": f.problem.path,
             "route": list(f.problem.route), "detail": f.problem.detail, "message": f.problem.text()}
            for f in findings]
    out.write(json.dumps(rows, indent=2) + "\n")


def findings_github(findings: list, out: TextIO) -> None:
    title = _escape_property("mlopsc verify")
    for finding in findings:
        out.write(f"::error file={_escape_property(finding.file)},title={title}::"
                  f"{_escape_data(finding.problem.text())}\n")


def as_sorted_json(value, out: TextIO) -> None:
    """A result for scripts (registry entries): keys sorted, 2-space indent."""
    out.write(json.dumps(value, indent=2, sort_keys=True) + "\n")


def _plan_text(outcome, out: TextIO) -> None:
    from compiler.cli import apply_report

    apply_report.plan_text(outcome, out)


def _apply_text(outcome, out: TextIO, dry_run: bool) -> None:
    from compiler.cli import apply_report

    apply_report.result_text(outcome, dry_run, out)


def _apply_json(outcome, out: TextIO, dry_run: bool) -> None:
    from compiler.cli import apply_report

    apply_report.outcome_json(outcome, dry_run, out)


def _diff_text(result, out: TextIO, graphs: bool = False) -> None:
    from compiler.diff import render

    render.text(result, out)


def _diff_markdown(result, out: TextIO, graphs: bool = False) -> None:
    from compiler.diff import render

    render.markdown(result, out, graphs)


def _diff_json(result, out: TextIO, graphs: bool = False) -> None:
    from compiler.diff import render

    render.as_json(result, out)


def _graph(name: str) -> Callable:
    def report(definition: dict, out: TextIO) -> None:
        from compiler import graph

        out.write(graph.render(definition, name))
    return report


def _compare(name: str) -> Callable:
    def report(result, out: TextIO) -> None:
        from compiler.registry import compare

        getattr(compare, name)(result, out)
    return report


def _own_text(result, out: TextIO, text: Callable) -> None:
    """The text of a command whose text is its own (a table per registry command): `text` writes it."""
    text(result, out)


#: what a command prints -> `--format` name -> reporter(result, out, **options)
REPORTER_BY_NAME: dict[str, dict[str, Callable]] = {
    "problems": {"text": text, "json": as_json, "github": github},
    "verify": {"text": findings_text, "json": findings_json, "github": findings_github},
    # apply's plan, printed before its first write (a build stopped part-way still shows it); JSON
    # has it in the one document printed at the end.
    "apply-plan": {"text": _plan_text, "json": lambda outcome, out: None},
    "apply": {"text": _apply_text, "json": _apply_json},
    "diff": {"text": _diff_text, "markdown": _diff_markdown, "json": _diff_json},
    "graph": {name: _graph(name) for name in ("mermaid", "dot")},
    "status": {"text": _own_text, "json": lambda rows, out, text: out.write(json.dumps(rows, indent=2) + "\n")},
    "registry": {"text": _own_text, "json": lambda result, out, text: as_sorted_json(result, out)},
    "registry-compare": {"text": _compare("text"), "markdown": _compare("markdown"), "json": _compare("as_json")},
}


def names(kind: str) -> list[str]:
    """The `--format` choices of what a command prints."""
    return sorted(REPORTER_BY_NAME[kind])


def report(kind: str, name: str, result, out: TextIO, **options) -> None:
    REPORTER_BY_NAME[kind][name](result, out, **options)
