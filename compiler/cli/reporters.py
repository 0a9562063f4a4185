"""Reporters: one problem list, three formats. The exit code is decided in one place."""

from __future__ import annotations

import json
from typing import Callable, TextIO

from compiler.problems import Problem

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


#: Anything else is a bug in mlopsc (EX_SOFTWARE from sysexits.h).
EXIT_BUG = 70


def exit_code(problems) -> int:
    return EXIT_INVALID if problems else EXIT_OK


def text(problems: list[Problem], out: TextIO) -> None:
    for problem in problems:
        out.write(one_line(f"{problem.file}:{problem.line}:{problem.col}: error: {problem.path}: {problem.message}") + "\n")
        if problem.hint:
            out.write(one_line(f"  hint: {problem.hint}") + "\n")


def one_line(value: str) -> str:
    """One problem, one line: a key written as "a\\nb" must not split it, nor any other control
    character reach the terminal; they are escaped as Python writes them."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in value)


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


REPORTERS: dict[str, Callable[[list[Problem], TextIO], None]] = {"text": text, "json": as_json, "github": github}
