"""A Diff for people (text, markdown for a pull request comment) and for scripts (json). Pure.

Every change is one line, the same in text and markdown (`describe`): a mark (`+` added, `-`
removed, `~` changed, `>` renamed), where (`model/env: pipeline`, then the state), what. A flagged
change is followed by `risk: <why>`.

JSON (`--format json`), format_version 1:

    {"format_version": 1, "base": "<BASE>", "head": "<HEAD>", "merge_base": "<commit>" or null,
     "summary": {"changes": N, "flagged": N,
                 "groups": [{"model", "environment", "file", "pipeline", "changes", "flagged"}]},
     "changes": [{"model", "environment", "file", "pipeline", "kind", "scope", "state", "path",
                  "old", "new", "risk", "text"}]}

`kind` is one of change.KINDS; `scope` the enclosing Map/Parallel states; `path` the dotted field
path (a condition's variable, a transition's kind); `old`/`new` are left out on the side that has
no value (the `old` of a removed model, environment or file is what was removed: `{environment:
{file: content}}`, `{file: content}`, the content); `risk` is null unless flagged; `text` is the
line `describe` prints. Groups and changes are in reading order (change.sort_key); "" stands for
"not this level" (a model added has no file). `merge_base` is the commit compared with HEAD when
the command said `BASE...HEAD`.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from typing import Any, TextIO

from compiler import graph
from compiler.diff import states
from compiler.diff.change import ABSENT, Change, Diff, group_key, pipeline_of
from compiler.diff.fields import format_path
from compiler.problems import one_line

JSON_FORMAT_VERSION = 1
#: A GitHub comment holds at most 65,536 characters.
COMMENT_LIMIT = 65536
#: Marks the comment, so a CI job can find and update it instead of adding another.
COMMENT_MARKER = "<!-- mlopsc diff -->"
MAX_VALUE = 80
#: Characters shown on each side of the part of a long string that changed.
CONTEXT = 20
_MARKS = {"added": "+", "removed": "-", "changed": "~", "renamed": ">"}


# --------------------------------------------------------------------------- one line per change

def describe(change: Change) -> str:
    """`~ Train: Parameters.ResourceConfig.InstanceType "ml.m5.large" -> "ml.m5.2xlarge"`"""
    subject, _, outcome = change.kind.rpartition("-")
    return one_line(f"{_MARKS[outcome]} {_DESCRIBE[subject](change, outcome)}")


def _model(change: Change, outcome: str) -> str:
    environments = change.new if outcome == "added" else change.old
    return f"model {change.model} {outcome} (environments: {', '.join(environments)})"


def _environment(change: Change, outcome: str) -> str:
    return f"environment {change.environment} {outcome}"


def _file(change: Change, outcome: str) -> str:
    return f"pipeline {change.pipeline} {outcome}" if change.pipeline else f"file {change.file} {outcome}"


def _state(change: Change, outcome: str) -> str:
    if outcome == "renamed":
        return f"state {_where(change.scope, change.old)} renamed to {change.new}"
    state = change.new if outcome == "added" else change.old
    return f"state {_where(change.scope, change.state)} ({state.get('Type', '?')})"


def _transition(change: Change, outcome: str) -> str:
    kind = format_path(change.path)
    if outcome == "changed":
        return f"{_prefix(change)}{kind} {change.old} -> {change.new}"
    return f"{_prefix(change)}{kind} -> {change.new if outcome == 'added' else change.old}"


def _condition(change: Change, outcome: str) -> str:
    if outcome == "added":
        return f"{_prefix(change)}condition {graph.condition(change.new)}"
    if outcome == "removed":
        return f"{_prefix(change)}condition {graph.condition(change.old)}"
    old, new = states.comparison(change.old), states.comparison(change.new)
    if old and new and (old.variable, old.operator) == (new.variable, new.operator):
        return f"{_prefix(change)}{graph.condition(change.old)} -> {_value(new.value)}"
    return f"{_prefix(change)}{graph.condition(change.old)} -> {graph.condition(change.new)}"


def _field(change: Change, outcome: str) -> str:
    path = format_path(change.path) or "(whole file)"
    if outcome == "added":
        return f"{_prefix(change)}{path} = {_value(change.new)}"
    if outcome == "removed":
        return f"{_prefix(change)}{path} (was {_value(change.old)})"
    return f"{_prefix(change)}{path} {_changed_values(change.old, change.new)}"


_DESCRIBE = {"model": _model, "environment": _environment, "file": _file, "state": _state,
             "transition": _transition, "condition": _condition, "field": _field}


def _where(scope: tuple, state: str) -> str:
    return " > ".join(str(part) for part in (*scope, state) if part != "")


def _prefix(change: Change) -> str:
    where = _where(change.scope, change.state)
    return f"{where}: " if where else ""


def _value(data: Any) -> str:
    """Compact JSON, cut to MAX_VALUE characters."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 3] + "..."


def _changed_values(old: Any, new: Any) -> str:
    """`old -> new`; of two long strings only the part that differs, with CONTEXT characters around it."""
    if not (isinstance(old, str) and isinstance(new, str)) or max(len(_value(old)), len(_value(new))) < MAX_VALUE:
        return f"{_value(old)} -> {_value(new)}"
    prefix = len(os.path.commonprefix([old, new]))
    suffix = len(os.path.commonprefix([old[prefix:][::-1], new[prefix:][::-1]]))
    start = max(0, prefix - CONTEXT)
    space = old.rfind(" ", max(0, start - CONTEXT // 2), start)  # start at a word when one is near
    start = space + 1 if space >= 0 else start

    def excerpt(text: str) -> str:
        end = min(len(text), len(text) - suffix + CONTEXT)
        shown = _value(text[start:end])
        return ("..." if start else "") + shown + ("..." if end < len(text) and not shown.endswith("...") else "")

    return f"{excerpt(old)} -> {excerpt(new)}"


# --------------------------------------------------------------------------- groups

def _groups(diff: Diff) -> list:
    """[(group key, [changes])] in reading order (the changes are sorted already)."""
    return [(key, list(changes)) for key, changes in itertools.groupby(diff.changes, key=group_key)]


def _title(key: tuple) -> str:
    model, environment, file = key
    where = f"{model}/{environment}" if environment else model
    return f"{where}: {pipeline_of(file) or file}" if file else where


def _flagged(changes: list) -> int:
    return sum(1 for change in changes if change.risk)


def _counts(changes: list) -> str:
    return _plural(len(changes), "change") + (f", {_flagged(changes)} flagged" if _flagged(changes) else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _lines(changes: list) -> list:
    lines = []
    for change in changes:
        lines.append(describe(change))
        if change.risk:
            lines.append(f"    risk: {one_line(change.risk)}")
    return lines


def _summary(diff: Diff) -> str:
    environments = len({(change.model, change.environment) for change in diff.changes})
    flagged = f", {len(diff.flagged)} flagged for review" if diff.flagged else ""
    return f"{_plural(len(diff.changes), 'change')}{flagged}, in {_plural(environments, 'model environment')}"


# --------------------------------------------------------------------------- text

def text(diff: Diff, out: TextIO) -> None:
    if not diff.changes:
        out.write(one_line(f"no changes from {diff.span}") + "\n")
        return
    for key, changes in _groups(diff):
        out.write(f"{one_line(_title(key))} ({_counts(changes)})\n")
        out.writelines(f"  {line}\n" for line in _lines(changes))
    out.write(_summary(diff) + "\n")


# --------------------------------------------------------------------------- markdown

def markdown(diff: Diff, out: TextIO, graphs: bool = False) -> None:
    """A pull request comment: a summary table, the flagged changes, then one collapsible section
    per pipeline or file (with --graph, the pipeline's graph, added and changed states highlighted);
    cut to COMMENT_LIMIT characters with a note saying so."""
    blocks, notes = _markdown_blocks(diff, graphs), []
    if graphs and sum(map(len, blocks)) > COMMENT_LIMIT:
        blocks, notes = _markdown_blocks(diff, False), ["the graphs were left out"]
    out.write(_fit(blocks, diff, notes))


def _markdown_blocks(diff: Diff, graphs: bool) -> list:
    heading = f"{COMMENT_MARKER}\n### mlopsc diff {_sides(diff)}\n\n"
    if not diff.changes:
        return [heading + "No changes to the compiled pipelines.\n"]
    blocks = [heading + f"**{_summary(diff)}**\n\n", _table(diff)]
    if diff.flagged:
        blocks.append("**Flagged for review**\n\n" + "".join(
            f"- **risk** in {_escape(_title(group_key(change)))}: {_escape(change.risk)} ({_code(describe(change))})\n"
            for change in diff.flagged) + "\n")
    for key, changes in _groups(diff):
        blocks.append(_details(diff, key, changes, graphs))
    return blocks


def _sides(diff: Diff) -> str:
    """`main` -> `HEAD`, or `main...HEAD`: `3f2a1bc` (the merge base) -> `HEAD`."""
    if diff.merge_base:
        return f"{_code(diff.arguments)}: {_code(diff.merge_base)} (the merge base) -> {_code(diff.head)}"
    return f"{_code(diff.base)} -> {_code(diff.head)}"


def _table(diff: Diff) -> str:
    rows = ["| model | environment | pipeline / file | changes | flagged |", "|---|---|---|--:|--:|"]
    for (model, environment, file), changes in _groups(diff):
        flagged = _flagged(changes)
        rows.append(f"| {_escape(model)} | {_escape(environment)} | {_escape(pipeline_of(file) or file)} | "
                    f"{len(changes)} | {f'**{flagged}**' if flagged else 0} |")
    return "\n".join(rows) + "\n\n"


def _details(diff: Diff, key: tuple, changes: list, graphs: bool) -> str:
    flagged = any(change.risk for change in changes)
    summary = html.escape(f"{_title(key)}: {_counts(changes)}")
    body = _fenced("diff", "\n".join(_lines(changes)))
    definition = diff.head_files.get(f"{key[0]}/{key[1]}", {}).get(key[2]) if pipeline_of(key[2]) else None
    if graphs and isinstance(definition, dict):
        body += "\n" + _fenced("mermaid", graph.render(definition, "mermaid", highlight=_highlight(changes)).rstrip("\n"))
    return f"<details{' open' if flagged else ''}><summary>{summary}</summary>\n\n{body}\n</details>\n\n"


def _highlight(changes: list) -> dict:
    """State name -> "added" or "changed", for the graph of HEAD."""
    marks: dict = {}
    for change in changes:
        if change.kind == "state-added":
            marks[change.state] = "added"
        elif change.state and change.kind != "state-removed":
            marks.setdefault(change.state, "changed")
    return marks


def _fit(blocks: list, diff: Diff, notes: list) -> str:
    """The blocks, in order, within COMMENT_LIMIT: a block that does not fit in the room left is
    skipped (a later, smaller one may still fit), and a note says how many were."""
    text = "".join(blocks)
    if len(text) + len(_note(notes, diff)) <= COMMENT_LIMIT:
        return text + _note(notes, diff)
    room = COMMENT_LIMIT - len(_note(notes + [f"{len(blocks)} sections not shown"], diff))
    text, skipped = "", 0
    for block in blocks:
        if len(text) + len(block) > room:
            skipped += 1
        else:
            text += block
    return text + _note(notes + [f"{_plural(skipped, 'section')} not shown"], diff)


def _note(notes: list, diff: Diff) -> str:
    if not notes:
        return ""
    return (f"*{'; '.join(notes)}: a comment holds at most {COMMENT_LIMIT:,} characters. "
            f"The whole diff: {_code(f'mlopsc diff {diff.arguments}')}*\n")


def _escape(text: str) -> str:
    """Plain text in markdown (and in a table cell): markup characters backslash-escaped."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", one_line(str(text)))


def _code(text: str) -> str:
    """A code span that holds any text: a fence longer than its longest run of backticks."""
    text = one_line(str(text))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _fenced(language: str, content: str) -> str:
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    return f"{fence}{language}\n{content}\n{fence}\n"


# --------------------------------------------------------------------------- json

def as_json(diff: Diff, out: TextIO) -> None:
    groups = []
    for (model, environment, file), changes in _groups(diff):
        groups.append({"model": model, "environment": environment, "file": file, "pipeline": pipeline_of(file),
                       "changes": len(changes), "flagged": _flagged(changes)})
    document = {
        "format_version": JSON_FORMAT_VERSION, "base": diff.base, "head": diff.head, "merge_base": diff.merge_base or None,
        "summary": {"changes": len(diff.changes), "flagged": len(diff.flagged), "groups": groups},
        "changes": [_change_json(change) for change in diff.changes],
    }
    out.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def _change_json(change: Change) -> dict:
    record = {"model": change.model, "environment": change.environment, "file": change.file,
              "pipeline": change.pipeline, "kind": change.kind, "scope": list(change.scope), "state": change.state,
              "path": format_path(change.path)}
    record.update({side: data for side, data in (("old", change.old), ("new", change.new)) if data is not ABSENT})
    record.update(risk=change.risk or None, text=describe(change))
    return record

