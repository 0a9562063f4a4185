"""A state machine definition (parsed ASL) as a Mermaid flowchart or a Graphviz DOT graph.

Pure: definition dict in, text out, deterministic. Every state is one node whose id is `s1`, `s2`...
in definition order (depth first: a Map's or Parallel's inner states follow it), so no state name
ever reaches the graph syntax unescaped; the label is the state name. Shapes: Task box, Choice
diamond, Wait/Pass rounded, Succeed/Fail terminal, Map/Parallel a node inside a subgraph that
holds their inner states. Edges: Next and a Choice's Default solid (Default labelled `otherwise`),
Choice rules labelled by their condition in short form, Catch dashed and labelled with its error
names; a bold edge leads from a Map/Parallel node to each of its branches' first state, and `s0`
is the start marker.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Callable, Optional

FORMATS = ("mermaid", "dot")

#: Longest suffix first: `NumericGreaterThanEquals` is `>=`, not `==`.
_COMPARISONS = {
    "GreaterThanEquals": ">=", "LessThanEquals": "<=", "GreaterThan": ">", "LessThan": "<", "Equals": "==",
}
#: Type checks that only guard a comparison of the same variable in an And; dropped from the short form.
_GUARDS = ("IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp", "IsNull")
_MAX_TERMS = 4


@dataclasses.dataclass
class _Node:
    id: str
    name: str
    type: str
    children: list  # of branches; each branch is a list of _Node (Map: one branch)


@dataclasses.dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    kind: str  # "next" | "choice" | "default" | "catch" | "branch"
    label: Optional[str] = None


#: Mermaid styles of highlighted states (`render(..., highlight={name: class})`).
HIGHLIGHTS = {
    "added": "fill:#dafbe1,stroke:#1a7f37,stroke-width:2px",
    "changed": "fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
}


def render(definition: dict, output_format: str = "mermaid", highlight: Optional[dict] = None) -> str:
    """The graph of one state machine definition, as text ending with a newline. `highlight` (Mermaid
    only) maps state names to a HIGHLIGHTS class: those nodes get it (`classDef` + `class` lines,
    by node id; a name used in two scopes is highlighted in both)."""
    if output_format not in FORMATS:
        raise ValueError(f"unknown graph format {output_format!r}")
    if highlight and (output_format != "mermaid" or not set(highlight.values()) <= set(HIGHLIGHTS)):
        raise ValueError(f"highlight: Mermaid only, with classes {', '.join(HIGHLIGHTS)}")
    counter = [0]
    edges: list[_Edge] = []
    nodes = _scope(definition, counter, edges)
    start = _start_id(definition, nodes)
    if start is not None:
        edges.insert(0, _Edge("s0", start, "next"))
    if output_format == "dot":
        return _dot(nodes, edges)
    return _mermaid(nodes, edges) + _mermaid_classes(nodes, highlight or {})


# --------------------------------------------------------------------------- a definition it can draw

def definition_problem(definition) -> Optional[str]:
    """Why `definition` (parsed JSON of any .asl.json file) is not a state machine the graph can
    draw, or None: an object with `StartAt` naming one of its `States`, each state an object with a
    string `Type`, transitions (`Next`, `Default`, a Choice rule's or Catch's `Next`) naming states
    by string, and the same for a Map's processor and each Parallel branch. Only the shape the graph
    walks is checked (Amazon States Language, "State machine structure"); `mlopsc verify` proves more."""
    return _scope_problem(definition, "the definition")


def _scope_problem(machine, where: str) -> Optional[str]:
    if not isinstance(machine, dict):
        return f"{where} is not a JSON object"
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        return f"{where} has no \"States\" object (a state machine names its states there)"
    if machine.get("StartAt") not in states:
        return f"{where}: \"StartAt\" does not name one of its States"
    for name, state in states.items():
        problem = _state_problem(state, f"state {json.dumps(name, ensure_ascii=False)}")
        if problem:
            return problem
    return None


def _state_problem(state, where: str) -> Optional[str]:
    if not isinstance(state, dict) or not isinstance(state.get("Type"), str):
        return f"{where} is not an object with a string \"Type\""
    for key in ("Choices", "Catch", "Branches"):
        if key in state and not isinstance(state[key], list):
            return f"{where}: \"{key}\" is not a list"
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in state.get("Choices") or [] if isinstance(rule, dict)]
    catchers = [catcher for catcher in state.get("Catch") or [] if isinstance(catcher, dict)]
    targets += [catcher.get("Next") for catcher in catchers]
    if any(not isinstance(catcher.get("ErrorEquals", []), list) for catcher in catchers):
        return f"{where}: a Catch's \"ErrorEquals\" is not a list"
    if any(target is not None and not isinstance(target, str) for target in targets):
        return f"{where}: a \"Next\" or \"Default\" is not a state name (a string)"
    if state["Type"] == "Map" and isinstance(state.get("ItemProcessor") or state.get("Iterator"), dict):
        return _scope_problem(state.get("ItemProcessor") or state.get("Iterator"), f"{where}'s ItemProcessor")
    for number, branch in enumerate(branches(state), 1):
        problem = _scope_problem(branch, f"{where}'s branch {number}")
        if problem:
            return problem
    return None


# --------------------------------------------------------------------------- the graph

def _scope(machine: dict, counter: list, edges: list) -> list:
    """The nodes of one scope (a machine, a Map's processor, a Parallel branch), ids given in
    definition order; its transitions appended to edges."""
    states = machine.get("States") or {}
    nodes, ids, inner_edges = [], {}, {}
    for name, state in states.items():
        counter[0] += 1
        node = _Node(f"s{counter[0]}", name, str(state.get("Type", "")), [])
        ids[name] = node.id
        nodes.append(node)
        inner_edges[node.id] = []
        for inner in branches(state):
            node.children.append(_scope(inner, counter, inner_edges[node.id]))
    for node, state in zip(nodes, states.values()):
        for branch, inner in zip(node.children, branches(state)):
            first = _start_id(inner, branch)
            if first is not None:
                edges.append(_Edge(node.id, first, "branch"))
        edges.extend(inner_edges[node.id])
        for kind, target, label in _transitions(state):
            if target in ids:
                edges.append(_Edge(node.id, ids[target], kind, label))
    return nodes


def branches(state: dict) -> list:
    """The state machines inside a state: a Map's item processor, each Parallel branch."""
    if state.get("Type") == "Map":
        inner = state.get("ItemProcessor") or state.get("Iterator")
        return [inner] if isinstance(inner, dict) else []
    if state.get("Type") == "Parallel":
        return [b for b in state.get("Branches") or [] if isinstance(b, dict)]
    return []


def _start_id(machine: dict, nodes: list) -> Optional[str]:
    return next((n.id for n in nodes if n.name == machine.get("StartAt")), None)


def transitions(state: dict) -> list:
    """(kind, target state name, label) of every transition out of one state, in definition order."""
    return _transitions(state)


def _transitions(state: dict) -> list:
    found = []
    for rule in state.get("Choices") or []:
        if isinstance(rule, dict) and "Next" in rule:
            found.append(("choice", rule["Next"], condition(rule)))
    if "Default" in state:
        found.append(("default", state["Default"], "otherwise"))
    if "Next" in state:
        found.append(("next", state["Next"], None))
    for catcher in state.get("Catch") or []:
        if isinstance(catcher, dict) and "Next" in catcher:
            found.append(("catch", catcher["Next"], ", ".join(str(e) for e in catcher.get("ErrorEquals") or [])))
    return found


# --------------------------------------------------------------------------- conditions, in short form

def condition(rule: dict) -> str:
    """A Choice rule as one short line: `$.metrics.values.auc >= 0.8 and ...`; type guards of a
    compared variable are left out, and long conjunctions end with `(+N more)`."""
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        listed = rule.get("And") if "And" in rule else rule.get("Or")
        terms = [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []
        if word == "and" and terms and all(t.get("IsPresent") is True and len(t) <= 2 for t in terms):
            paths = [_path(t.get("Variable", "?")) for t in terms]
            shown = paths[:_MAX_TERMS - 1] if len(paths) > _MAX_TERMS else paths
            more = f" (+{len(paths) - len(shown)} more)" if len(shown) < len(paths) else ""
            return f"present: {', '.join(shown)}{more}"
        if word == "and":
            compared = {t.get("Variable") for t in terms if not is_guard(t)}
            kept = [t for t in terms if not (is_guard(t) and t.get("Variable") in compared)]
            terms = kept or terms
        parts = [condition(t) if ("And" not in t and "Or" not in t) else f"({condition(t)})" for t in terms]
        shown = parts[:_MAX_TERMS - 1] if len(parts) > _MAX_TERMS else parts
        text = f" {word} ".join(shown)
        return text + (f" {word} (+{len(parts) - len(shown)} more)" if len(shown) < len(parts) else "")
    if "Not" in rule:
        inner = rule["Not"] if isinstance(rule["Not"], dict) else {}
        return f"not ({condition(inner)})"
    variable = _path(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        path = key.endswith("Path")
        operator = key[:-4] if path else key
        shown = _path(value) if path else json.dumps(value, ensure_ascii=False)
        if operator in _GUARDS:
            what = operator[2:].lower()
            return f"{variable} is {what}" if value is True else f"{variable} is not {what}"
        for suffix, symbol in _COMPARISONS.items():
            if operator.endswith(suffix):
                return f"{variable} {symbol} {shown}"
        if operator == "StringMatches":
            return f"{variable} matches {shown}"
        return f"{variable} {operator} {shown}"
    return variable


def is_guard(term: dict) -> bool:
    """A type check (`IsPresent`, `IsNumeric`...) rather than a comparison."""
    return any(term.get(key) is True for key in _GUARDS)


def _path(value) -> str:
    """`$.metrics.values['auc']` -> `$.metrics.values.auc` (when the key is a plain identifier)."""
    return re.sub(r"\['([A-Za-z_][A-Za-z0-9_-]*)'\]", r".\1", str(value))


# --------------------------------------------------------------------------- node walk, both formats

@dataclasses.dataclass(frozen=True)
class _Syntax:
    """How one format writes a node and the subgraphs of Map/Parallel states."""

    node: Callable  # node -> its line
    group: Callable  # node -> the lines that open its subgraph
    branch: Callable  # (node, number) -> the lines that open a Parallel branch's subgraph
    close: str


def _nodes(scope: list, indent: str, syntax: _Syntax) -> list:
    """The lines of every node in scope, a Map/Parallel state and its inner states in a subgraph."""
    lines = []
    for node in scope:
        if not node.children:
            lines.append(indent + syntax.node(node))
            continue
        lines += [indent + line for line in syntax.group(node)] + [indent + "    " + syntax.node(node)]
        for number, branch in enumerate(node.children, 1):
            if node.type == "Parallel":
                lines += [indent + "    " + line for line in syntax.branch(node, number)]
                lines += _nodes(branch, indent + "        ", syntax) + [indent + "    " + syntax.close]
            else:
                lines += _nodes(branch, indent + "    ", syntax)
        lines.append(indent + syntax.close)
    return lines


# --------------------------------------------------------------------------- Mermaid

_MERMAID_SHAPES = {
    "Task": ('["', '"]'), "Choice": ('{"', '"}'), "Wait": ('("', '")'), "Pass": ('("', '")'),
    "Succeed": ('(["', '"])'), "Fail": ('(["', '"])'), "Map": ('[["', '"]]'), "Parallel": ('[["', '"]]'),
}
_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 .,:_\-'$=+*/?!@()\[\]>]")


def mermaid_escape(text: str) -> str:
    """A label for inside Mermaid's double quotes: anything that could end or change it (quotes,
    `#`, `;`, `|`, `%`, `<`, `&`, braces, control characters...) as a `#code;` entity, newlines as `<br>`."""
    out = []
    for char in str(text):
        if char == "\n":
            out.append("<br>")
        elif _MERMAID_SAFE.fullmatch(char) or (ord(char) > 127 and char.isprintable()):
            out.append(char)
        else:
            out.append(f"#{ord(char)};")
    return "".join(out)


def _mermaid_node(node: _Node) -> str:
    opening, closing = _MERMAID_SHAPES.get(node.type, ('["', '"]'))
    return f"{node.id}{opening}{mermaid_escape(node.name)}{closing}"


_MERMAID_SYNTAX = _Syntax(
    node=_mermaid_node,
    group=lambda node: [f'subgraph {node.id}_group [" "]', "    direction TB"],
    branch=lambda node, number: [f'subgraph {node.id}_branch{number} ["branch {number}"]'],
    close="end",
)


def _mermaid(nodes: list, edges: list) -> str:
    lines = ["flowchart TD", '    s0(("start"))', *_nodes(nodes, "    ", _MERMAID_SYNTAX)]
    arrows = {"next": "-->", "default": "-->", "choice": "-->", "catch": "-.->", "branch": "==>"}
    for edge in edges:
        label = f'|"{mermaid_escape(edge.label)}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrows[edge.kind]}{label} {edge.target}")
    return "\n".join(lines) + "\n"


def _mermaid_classes(nodes: list, highlight: dict) -> str:
    """`classDef` and `class` lines for the highlighted states (ids only: names never reach the syntax)."""
    ids: dict = {}

    def visit(scope: list) -> None:
        for node in scope:
            if node.name in highlight:
                ids.setdefault(highlight[node.name], []).append(node.id)
            for branch in node.children:
                visit(branch)

    visit(nodes)
    lines = []
    for name in sorted(ids):
        lines.append(f"    classDef {name} {HIGHLIGHTS[name]}")
        lines.append(f"    class {','.join(ids[name])} {name}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- DOT

_DOT_SHAPES = {
    "Task": 'shape=box', "Choice": 'shape=diamond', "Wait": 'shape=box, style=rounded',
    "Pass": 'shape=box, style=rounded', "Succeed": 'shape=box, style="rounded,bold", peripheries=2',
    "Fail": 'shape=box, style="rounded,bold", peripheries=2, color=red', "Map": 'shape=box3d',
    "Parallel": 'shape=box3d',
}


def dot_escape(text: str) -> str:
    """A string for inside DOT's double quotes: backslashes and quotes escaped, newlines as `\\n`,
    other control characters dropped to spaces."""
    out = []
    for char in str(text):
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif not char.isprintable():
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


_DOT_SYNTAX = _Syntax(
    node=lambda node: f'{node.id} [label="{dot_escape(node.name)}", {_DOT_SHAPES.get(node.type, "shape=box")}];',
    group=lambda node: [f"subgraph cluster_{node.id} {{", '    label="";'],
    branch=lambda node, number: [f"subgraph cluster_{node.id}_branch{number} {{", f'    label="branch {number}";'],
    close="}",
)


def _dot(nodes: list, edges: list) -> str:
    lines = ["digraph state_machine {", "    node [fontname=Helvetica];", "    edge [fontname=Helvetica];",
             '    s0 [label="start", shape=circle];', *_nodes(nodes, "    ", _DOT_SYNTAX)]
    for edge in edges:
        attributes = []
        if edge.label:
            attributes.append(f'label="{dot_escape(edge.label)}"')
        if edge.kind == "catch":
            attributes.append("style=dashed")
        if edge.kind == "branch":
            attributes.append("style=bold")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"    {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
