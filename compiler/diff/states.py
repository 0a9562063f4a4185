"""The semantic diff of two state machine definitions (parsed ASL). Pure.

States are matched by name within each scope (the machine, a Map's item processor, each Parallel
branch, recursively). A removed and an added state of the same Type whose contents (transitions
left out) are the same are one renamed state; so are two at least RENAME_SIMILARITY alike
(difflib's ratio over their words and punctuation, most alike first) when their neighbours agree:
a state leading to the old one is, or was renamed to, a state leading to the new one (the start
counts as a state leading to the first one), or neither has any. Agreement is sought until no
more pair is found, so a renamed stage's states follow its first one; a stage removed and
another added in its place stay a removal and an addition. Then, per state: its
transitions (`compiler.graph.transitions`, targets that were renamed count as unchanged), a
Choice's conditions term by term (a rule is known by where it leads; a comparison by its variable
and which way it bounds it, so `rmse < 12.5` -> `rmse < 10` is one changed condition), and every
other field (`fields.differences`).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re
from typing import Any, Callable, Iterator, Optional

from compiler import graph
from compiler.diff import fields
from compiler.diff.change import ABSENT, Change

RENAME_SIMILARITY = 0.8
_TOKEN = re.compile(r"\w+|[^\w\s]")
#: Keys of a state that are transitions or inner states, compared apart from its fields.
_TRANSITION_KEYS = ("Next", "Default")
_INNER_KEYS = ("States", "StartAt")


def changes(old: dict, new: dict) -> Iterator[Change]:
    """Every change from the definition `old` to `new`."""
    yield from _machine(old, new, scope=(), start={"path": ("start",)})


# --------------------------------------------------------------------------- states of one scope

def _machine(old: dict, new: dict, scope: tuple, start: dict) -> Iterator[Change]:
    old_states, new_states = _states(old), _states(new)
    removed = [name for name in old_states if name not in new_states]
    added = [name for name in new_states if name not in old_states]
    renames = _renames(removed, added, old, new)
    renamed_from = {new_name: old_name for old_name, new_name in renames.items()}

    def rename(name: Any) -> Any:
        return renames.get(name, name)

    for old_name, new_name in renames.items():
        yield Change("state-renamed", scope=scope, state=new_name, old=old_name, new=new_name)
    for name in removed:
        if name not in renames:
            yield Change("state-removed", scope=scope, state=name, old=old_states[name])
    for name in added:
        if name not in renamed_from:
            yield Change("state-added", scope=scope, state=name, new=new_states[name])
    for name, state in new_states.items():
        old_name = renamed_from.get(name, name)
        if old_name in old_states:
            yield from _state(old_states[old_name], state, scope, name, rename)
    if "StartAt" in old and "StartAt" in new and rename(old["StartAt"]) != new["StartAt"]:
        yield Change("transition-changed", scope=start.get("scope", ()), state=start.get("state", ""),
                     path=start["path"], old=old["StartAt"], new=new["StartAt"])


def _states(machine: dict) -> dict:
    states = machine.get("States") if isinstance(machine, dict) else None
    return {name: state for name, state in (states or {}).items() if isinstance(state, dict)}


def _renames(removed: list, added: list, old: dict, new: dict) -> dict:
    """old name -> new name: states with the same content, then alike pairs their neighbours agree with."""
    old_states, new_states = _states(old), _states(new)
    old_texts = {name: _tokens(old_states[name]) for name in removed}
    new_texts = {name: _tokens(new_states[name]) for name in added}
    renames: dict = {}
    unmatched = sorted(added)
    # Same content and the same ways out first, so that twin states leading to different places
    # pair by where they lead; then same content alone.
    for key in (lambda state, text: (text, _exits(state)), lambda state, text: text):
        for old_name in sorted(set(removed) - set(renames)):
            wanted = key(old_states[old_name], old_texts[old_name])
            same = next((name for name in unmatched if key(new_states[name], new_texts[name]) == wanted), None)
            if same is not None:
                renames[old_name] = same
                unmatched.remove(same)
    candidates = []
    for old_name, new_name in itertools.product(sorted(set(removed) - set(renames)), unmatched):
        if old_states[old_name].get("Type") != new_states[new_name].get("Type"):
            continue
        score = _similarity(old_texts[old_name], new_texts[new_name])
        if score >= RENAME_SIMILARITY:
            candidates.append((-score, old_name, new_name))
    _accept_agreed([pair for _, *pair in sorted(candidates)], renames, _predecessors(old), _predecessors(new))
    return renames


def _accept_agreed(candidates: list, renames: dict, old_before: dict, new_before: dict) -> None:
    """Add to renames, until none is left, the first candidate (old, new) whose states are both free
    and whose predecessors agree: one of the old state's, renamed, is one of the new state's, or
    neither state has any."""
    def agrees(old_name: str, new_name: str) -> bool:
        before, after = old_before.get(old_name, set()), new_before.get(new_name, set())
        return not (before or after) or bool({renames.get(name, name) for name in before} & after)

    while True:
        taken = set(renames.values())
        pair = next(((old_name, new_name) for old_name, new_name in candidates
                     if old_name not in renames and new_name not in taken and agrees(old_name, new_name)), None)
        if pair is None:
            return
        renames[pair[0]] = pair[1]


#: The predecessor of a scope's first state.
_START = ("start",)


def _predecessors(machine: dict) -> dict:
    """State name -> the names of the states with a transition to it (the first state: also _START)."""
    before: dict = {}
    if isinstance(machine, dict) and isinstance(machine.get("StartAt"), str):
        before.setdefault(machine["StartAt"], set()).add(_START)
    for name, state in _states(machine).items():
        for _, target, _ in graph.transitions(state):
            if isinstance(target, str):
                before.setdefault(target, set()).add(name)
    return before


def _exits(state: dict) -> tuple:
    """Where a state leads, by kind, in a stable order."""
    return tuple(sorted((kind, str(target)) for kind, target, _ in graph.transitions(state)))


def _tokens(state: dict) -> tuple:
    """A state's content (transitions left out) as words and punctuation, whatever its key order."""
    return tuple(_TOKEN.findall(fields.canonical(_body(state, True))))


def _similarity(old_tokens: tuple, new_tokens: tuple) -> float:
    """How alike two token sequences are, 0 to 1 (difflib's ratio; the cheap upper bounds first)."""
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    if matcher.real_quick_ratio() < RENAME_SIMILARITY or matcher.quick_ratio() < RENAME_SIMILARITY:
        return 0.0
    return matcher.ratio()


# --------------------------------------------------------------------------- one state

def _state(old: dict, new: dict, scope: tuple, name: str, rename: Callable) -> Iterator[Change]:
    where = {"scope": scope, "state": name}
    choices = old.get("Type") == new.get("Type") == "Choice"
    yield from _transition_changes(old, new, rename, where)
    if choices:
        yield from _condition_changes(old, new, rename, where)
    for path, before, after in fields.differences(_body(old, choices), _body(new, choices)):
        yield Change.of("field", before, after, path=path, **where)
    yield from _inner_changes(old, new, scope, name)


def _body(state: dict, without_choices: bool) -> dict:
    """A state's fields: without its transitions and inner states (compared apart)."""
    body = {key: value for key, value in state.items()
            if key not in _TRANSITION_KEYS and not (without_choices and key == "Choices")}
    if isinstance(body.get("Catch"), list):
        body["Catch"] = [_without(catcher, ("Next",)) for catcher in body["Catch"]]
    for key in ("ItemProcessor", "Iterator"):
        if isinstance(body.get(key), dict):
            body[key] = _without(body[key], _INNER_KEYS)
    if isinstance(body.get("Branches"), list):
        body["Branches"] = [_without(branch, _INNER_KEYS) for branch in body["Branches"]]
    return body


def _without(value: Any, keys: tuple) -> Any:
    return {k: v for k, v in value.items() if k not in keys} if isinstance(value, dict) else value


def _inner_changes(old: dict, new: dict, scope: tuple, name: str) -> Iterator[Change]:
    """The states of a Map's item processor or of each Parallel branch, as scopes of their own."""
    parallel = new.get("Type") == "Parallel" or old.get("Type") == "Parallel"
    pairs = itertools.zip_longest(graph.branches(old), graph.branches(new), fillvalue={})
    for number, (old_machine, new_machine) in enumerate(pairs, 1):
        label = (f"branch {number}",) if parallel else ()
        start = {"scope": scope, "state": name, "path": (f"branch {number} start",) if parallel else ("start",)}
        yield from _machine(old_machine, new_machine, scope + (name, *label), start)


# --------------------------------------------------------------------------- transitions

def _transition_changes(old: dict, new: dict, rename: Callable, where: dict) -> Iterator[Change]:
    """Per kind (next, default, choice, catch): a target that changed, or targets added and removed."""
    before = {(kind, rename(target)) for kind, target, _ in graph.transitions(old)}
    after = {(kind, target) for kind, target, _ in graph.transitions(new)}
    for kind in sorted({kind for kind, _ in before ^ after}):
        gone = sorted((target for k, target in before - after if k == kind), key=str)
        came = sorted((target for k, target in after - before if k == kind), key=str)
        if len(gone) == len(came) == 1:
            yield Change.of("transition", gone[0], came[0], path=(kind,), **where)
            continue
        for target in gone:
            yield Change.of("transition", target, ABSENT, path=(kind,), **where)
        for target in came:
            yield Change.of("transition", ABSENT, target, path=(kind,), **where)


# --------------------------------------------------------------------------- Choice conditions

@dataclasses.dataclass(frozen=True)
class Comparison:
    """A leaf Choice rule that compares its variable with a value (`NumericLessThan: 12.5`)."""

    variable: str
    operator: str
    value: Any

    @property
    def bound(self) -> str:
        """Which way it bounds its variable: `upper` (<, <=), `lower` (>, >=), else the operator itself."""
        operator = self.operator.removesuffix("Path")
        if operator.endswith(("LessThan", "LessThanEquals")):
            return "upper"
        if operator.endswith(("GreaterThan", "GreaterThanEquals")):
            return "lower"
        return operator


def comparison(term: Any) -> Optional[Comparison]:
    if not isinstance(term, dict) or not isinstance(term.get("Variable"), str) or graph.is_guard(term):
        return None
    operators = [key for key in term if key not in ("Variable", "Next")]
    return Comparison(term["Variable"], operators[0], term[operators[0]]) if len(operators) == 1 else None


def comparisons(rule: Any) -> list:
    """Every comparison inside a rule (And/Or/Not included)."""
    if not isinstance(rule, dict):
        return []
    found = comparison(rule)
    if found is not None:
        return [found]
    inner = [*(rule.get("And") or []), *(rule.get("Or") or []), *([rule["Not"]] if "Not" in rule else [])]
    return [c for term in inner for c in comparisons(term)]


def _condition_changes(old: dict, new: dict, rename: Callable, where: dict) -> Iterator[Change]:
    before, after = _rules(old, rename), _rules(new, lambda name: name)
    _follow_retargeted(before, after)
    for key in sorted(set(before) | set(after), key=str):
        if key not in before or key not in after:
            yield Change.of("condition", before.get(key, ABSENT), after.get(key, ABSENT), **where)
            continue
        old_terms, new_terms = _terms(before[key]), _terms(after[key])
        for term in sorted(set(old_terms) | set(new_terms), key=str):
            old_term, new_term = old_terms.get(term, ABSENT), new_terms.get(term, ABSENT)
            if old_term is ABSENT or new_term is ABSENT or not fields.same(old_term, new_term):
                yield Change.of("condition", old_term, new_term, path=term[1:2] if term[0] == "compare" else (),
                                **where)


def _follow_retargeted(before: dict, after: dict) -> None:
    """A rule that leads somewhere else is the new rule most like it (the same, else sharing the
    most terms, at least one), filed in `after` under the old rule's key: its move is a transition
    change (reported as such), its terms are compared one by one (`present: a, b, c (+4 more)`
    with one pointer more reads as that pointer added)."""
    for old_key in [key for key in before if key not in after]:
        moved = [key for key in after if key not in before]
        likeness = {key: _likeness(before[old_key], after[key]) for key in moved}
        best = max(moved, key=likeness.get, default=None)
        if best is not None and likeness[best][1]:
            after[old_key] = after.pop(best)


def _likeness(old_rule: dict, new_rule: dict) -> tuple:
    """(the same rule?, how many terms they share)."""
    return fields.same(old_rule, new_rule), len(_terms(old_rule).keys() & _terms(new_rule).keys())


def _rules(state: dict, rename: Callable) -> dict:
    """(target, n) -> rule without its Next: the n-th rule leading to that target."""
    rules: dict = {}
    for rule in state.get("Choices") or []:
        if isinstance(rule, dict):
            target = rename(rule.get("Next"))
            count = sum(1 for key in rules if key[0] == target)
            rules[(target, count)] = _without(rule, ("Next",))
    return rules


def _terms(rule: dict) -> dict:
    """The terms of a rule's top-level And (or the rule itself), keyed by what they test: a comparison
    by ("compare", variable, bound); anything else by its short form. The type guards of a compared
    variable are left out: they come and go with its comparison."""
    children = [term for term in rule["And"] if isinstance(term, dict)] if isinstance(rule.get("And"), list) else [rule]
    compared = {found.variable for found in map(comparison, children) if found}
    terms: dict = {}
    for term in children:
        found = comparison(term)
        if found is None and graph.is_guard(term) and term.get("Variable") in compared:
            continue
        key = ("compare", found.variable, found.bound) if found else ("other", graph.condition(term))
        while key in terms:
            key += ("again",)
        terms[key] = term
    return terms
