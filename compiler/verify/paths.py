"""The paths a state reads: JSONPath (as Step Functions accepts it) and intrinsic function calls.

A parsed path is (root, steps): root "$" (the state's data) or "$$" (the context object); a step is a
member name (str), an index (int) or WILD (`*`, a slice, a filter or `..`: what it selects may be
nothing, so only the steps before it are proven). See "Paths" and "Intrinsic functions",
Step Functions Developer Guide (Amazon States Language)."""

from __future__ import annotations

import re
from functools import lru_cache

WILD = object()


class PathError(ValueError):
    """Not a path Step Functions accepts (verify reports it on the state)."""


_NAME = re.compile(r"[^.\[\]()',\s]+")


@lru_cache(maxsize=4096)
def parse_path(text: str) -> tuple:
    """'$.a.b[0]['c d']' -> ('$', ('a', 'b', 0, 'c d'))."""
    if text.startswith("$$"):
        root, rest = "$$", text[2:]
    elif text.startswith("$"):
        root, rest = "$", text[1:]
    else:
        raise PathError(f"{text!r} is not a path (it must start with $)")
    steps, i = [], 0
    while i < len(rest):
        if rest.startswith("..", i):
            steps.append(WILD)
            i += 2
            match = _NAME.match(rest, i)
            i = match.end() if match else i
        elif rest[i] == ".":
            match = _NAME.match(rest, i + 1)
            if not match:
                raise PathError(f"{text!r}: a member name is missing after '.'")
            steps.append(WILD if match.group() == "*" else match.group())
            i = match.end()
        elif rest[i] == "[":
            end = _bracket_end(text, rest, i)
            inner = rest[i + 1:end].strip()
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(inner[1:-1])
            elif re.fullmatch(r"\d+", inner):
                steps.append(int(inner))
            else:  # *, -1, a slice, a filter
                steps.append(WILD)
            i = end + 1
        else:
            raise PathError(f"{text!r}: unexpected {rest[i]!r}")
    return root, tuple(steps)


def _bracket_end(text: str, rest: str, start: int) -> int:
    depth, quote = 0, None
    for index in range(start, len(rest)):
        char = rest[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
    raise PathError(f"{text!r}: '[' is not closed")


def show(root: str, steps) -> str:
    """The path as text again (for messages)."""
    out = [root]
    for step in steps:
        if step is WILD:
            out.append("[*]")
        elif isinstance(step, int):
            out.append(f"[{step}]")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", step):
            out.append(f".{step}")
        else:
            out.append(f"['{step}']")
    return "".join(out)


# ------------------------------------------------------------------------------ intrinsic functions

class Call:
    """An intrinsic function call: name ("States.Format") and its arguments (Call, Path, or a literal)."""

    __slots__ = ("name", "args")

    def __init__(self, name, args):
        self.name, self.args = name, args


class Path:
    __slots__ = ("root", "steps", "text")

    def __init__(self, text):
        self.text = text
        self.root, self.steps = parse_path(text)


INTRINSICS = {"States.Format", "States.StringToJson", "States.JsonToString", "States.Array", "States.ArrayPartition",
              "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem", "States.ArrayLength",
              "States.ArrayUnique", "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.JsonMerge",
              "States.MathRandom", "States.MathAdd", "States.StringSplit", "States.UUID"}

_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>null|true|false)"
                    r"|(?P<call>States\.[A-Za-z0-9]+)\s*\(|(?P<path>\$\$?(?:[^,()'\s]|'[^']*')*)"
                    r"|(?P<close>\))|(?P<comma>,))")


@lru_cache(maxsize=4096)
def parse_expression(text: str):
    """A `.$` value: a Path or a Call (raises PathError)."""
    text = text.strip()
    if text.startswith("$"):
        return Path(text)
    value, end = _parse_call(text, 0)
    if not isinstance(value, Call) or text[end:].strip():
        raise PathError(f"{text!r} is neither a path nor an intrinsic function call")
    return value


def _parse_call(text: str, position: int):
    match = _TOKEN.match(text, position)
    if not match or not match.group("call"):
        raise PathError(f"{text!r}: expected an intrinsic function at {position}")
    name = match.group("call")
    if name not in INTRINSICS:
        raise PathError(f"{text!r}: {name} is not an intrinsic function")
    args, position = [], match.end()
    while True:
        match = _TOKEN.match(text, position)
        if not match:
            raise PathError(f"{text!r}: cannot read the arguments of {name}")
        if match.group("close"):
            return Call(name, args), match.end()
        if match.group("comma"):
            position = match.end()
            continue
        if match.group("call"):
            value, position = _parse_call(text, match.start("call"))
        elif match.group("path"):
            value, position = Path(match.group("path")), match.end()
        else:
            value, position = match.group(), match.end()
        args.append(value)


def paths_of(expression):
    """Every Path an expression reads, in order."""
    if isinstance(expression, Path):
        yield expression
    elif isinstance(expression, Call):
        for arg in expression.args:
            yield from paths_of(arg)
