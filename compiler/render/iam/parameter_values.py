"""What a definition's Parameters evaluate to, as IAM patterns: the states of a definition, the
values Pass states assign, and the States.Format calls that name resources."""

from __future__ import annotations

import re
from typing import Iterator, Optional

from compiler import names
from compiler.render.iam.policy_document import iam_literal
from compiler.render.naming import TOKEN


def all_states(definition: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(name, state) for every state, including those of Map item processors and Parallel branches."""
    for name, state in definition.get("States", {}).items():
        yield prefix + name, state
        for processor in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", ())):
            if processor:
                yield from all_states(processor, f"{prefix}{name} / ")


class ParameterValues:
    """What JSONPath values and intrinsic functions in a definition's Parameters evaluate to, as
    IAM patterns: literal text kept (escaped), a run token as exactly 8 `?`, anything only known
    at run time as `*`. JSONPaths set by Pass states (e.g. `$.deployment.model`) are followed."""

    def __init__(self, definition: dict):
        self.assigned: dict[str, set] = {}
        for _, state in all_states(definition):
            parameters, result_path = state.get("Parameters"), state.get("ResultPath")
            if state["Type"] != "Pass" or not isinstance(parameters, dict) or not isinstance(result_path, str):
                continue
            for key, value in parameters.items():
                if key.endswith(".$") and isinstance(value, str):
                    self.assigned.setdefault(f"{result_path}.{key[:-2]}", set()).add(value)

    def parameter(self, parameters: dict, key: str) -> Optional[str]:
        """The pattern of parameters[key] (or of `key.$`); None if it cannot be known."""
        if key in parameters:
            value = parameters[key]
            return iam_literal(value) if isinstance(value, str) else None
        return self.expression(parameters.get(f"{key}.$"))

    def expression(self, expression, depth: int = 0) -> Optional[str]:
        if not isinstance(expression, str) or depth > 8:
            return None
        if expression == TOKEN:
            return "?" * names.RUN_TOKEN_LENGTH
        if expression.startswith("States.Format("):
            template, arguments = _format_call(expression)
            pieces = iter(self.expression(argument, depth + 1) or "*" for argument in arguments)
            return "".join(next(pieces) if piece is None else iam_literal(piece) for piece in template)
        if expression.startswith("$") and not expression.startswith("$$"):
            candidates = self.assigned.get(expression, set()) - {expression}
            if len(candidates) == 1:
                return self.expression(next(iter(candidates)), depth + 1)
        return None


_FORMAT = re.compile(r"^States\.Format\('((?:[^'\\]|\\.)*)'(.*)\)$", re.S)


def _format_call(expression: str) -> tuple[list, list]:
    """A States.Format call -> (template as literal pieces and None for each `{}`, arguments)."""
    match = _FORMAT.match(expression)
    if not match:
        raise RuntimeError(f"not a States.Format call: {expression}")
    raw, rest = match.group(1), match.group(2).strip()
    pieces: list = []
    text, i = "", 0
    while i < len(raw):
        if raw[i] == "\\":
            text += raw[i + 1]
            i += 2
        elif raw.startswith("{}", i):
            pieces += [text, None]
            text, i = "", i + 2
        else:
            text += raw[i]
            i += 1
    pieces.append(text)
    arguments = _split_arguments(rest[1:]) if rest.startswith(",") else []
    if len(arguments) != pieces.count(None):
        raise RuntimeError(f"States.Format with {pieces.count(None)} placeholders and {len(arguments)} arguments")
    return pieces, arguments


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated arguments (quotes and parentheses respected)."""
    arguments, depth, current, quoted, escaped = [], 0, "", False, False
    for char in text:
        if escaped:
            current, escaped = current + char, False
            continue
        if char == "\\":
            escaped = True
        elif char == "'":
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
