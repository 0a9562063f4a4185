"""The abstract JSON values verify computes: what a route carries into a state.

A value is UNKNOWN (anything: every read allowed), SCALAR, an Obj (known members, each present
YES, MAYBE or ABSENT, and what holds for the members it does not list), an Arr (a list whose
length is not known; `nonempty` when it has at least one element), a Tup (a list of known
length) or BOTTOM (no route: a branch that cannot be taken). Values are never mutated.

Join (where routes meet) keeps a member present only if it is present on every route."""

from __future__ import annotations

from compiler.verify.paths import WILD

# Member presence. OPEN: not known, but reads are allowed (the input of an ASL file mlopsc did not write).
YES, OPEN, MAYBE, ABSENT = "yes", "open", "maybe", "absent"
READABLE = (YES, OPEN)


class _Atom:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


UNKNOWN, SCALAR, BOTTOM = _Atom("UNKNOWN"), _Atom("SCALAR"), _Atom("BOTTOM")


class Obj:
    """Members: name -> (presence, value). `rest`: the presence of any member not listed
    (ABSENT for a closed object, MAYBE for a map of unknown keys, OPEN for unknown input)."""

    __slots__ = ("members", "rest", "rest_value")

    def __init__(self, members: dict, rest: str = ABSENT, rest_value=UNKNOWN):
        self.members, self.rest, self.rest_value = members, rest, rest_value

    def member(self, name: str) -> tuple:
        found = self.members.get(name)
        if found is not None:
            return found
        return (self.rest, UNKNOWN if self.rest == ABSENT else self.rest_value)

    def __repr__(self):
        return "{" + ", ".join(f"{k}{'' if p == YES else '?' if p != ABSENT else '!'}: {v!r}"
                               for k, (p, v) in self.members.items()) + f" | {self.rest}}}"


class Arr:
    __slots__ = ("item", "nonempty")

    def __init__(self, item, nonempty: bool = False):
        self.item, self.nonempty = item, nonempty

    def __repr__(self):
        return f"[{self.item!r}{'+' if self.nonempty else '*'}]"


class Tup:
    __slots__ = ("items",)

    def __init__(self, items: tuple):
        self.items = tuple(items)

    def __repr__(self):
        return repr(list(self.items))


OPEN_OBJECT = Obj({}, OPEN)


def literal(value):
    """The abstract value of a JSON literal (Pass Result, a template's constant members)."""
    if isinstance(value, dict):
        return Obj({key: (YES, literal(item)) for key, item in value.items()})
    if isinstance(value, list):
        return Tup(tuple(literal(item) for item in value))
    return SCALAR


# ------------------------------------------------------------------------------ join

def _join_presence(a: str, b: str) -> str:
    if a == b:
        return a
    if a in READABLE and b in READABLE:
        return OPEN
    return MAYBE


def join(a, b):
    if a is b or b is BOTTOM:
        return a
    if a is BOTTOM:
        return b
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, Obj) and isinstance(b, Obj):
        return _join_objects(a, b)
    if isinstance(a, Obj) or isinstance(b, Obj):  # an object on one route, something else on another
        obj = a if isinstance(a, Obj) else b
        return Obj({k: (MAYBE if p != ABSENT else ABSENT, v) for k, (p, v) in obj.members.items()},
                   MAYBE if obj.rest != ABSENT else ABSENT, obj.rest_value)
    if isinstance(a, Tup) and isinstance(b, Tup) and len(a.items) == len(b.items):
        return Tup(tuple(join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, (Arr, Tup)) and isinstance(b, (Arr, Tup)):
        return Arr(join(_item(a), _item(b)), _nonempty(a) and _nonempty(b))
    if a is SCALAR and b is SCALAR:
        return SCALAR
    return UNKNOWN


def _join_objects(a: Obj, b: Obj) -> Obj:
    members = {}
    a_members, b_members = a.members, b.members
    for name, (pa, va) in a_members.items():
        found = b_members.get(name)
        pb, vb = found if found is not None else (b.rest, UNKNOWN if b.rest == ABSENT else b.rest_value)
        presence = pa if pa == pb else _join_presence(pa, pb)
        members[name] = (presence, vb if pa == ABSENT else va if pb == ABSENT or va is vb else join(va, vb))
    for name, (pb, vb) in b_members.items():
        if name not in a_members:
            pa = a.rest
            members[name] = (_join_presence(pa, pb), vb if pa == ABSENT else join(a.rest_value, vb))
    rest_value = UNKNOWN if a.rest == ABSENT and b.rest == ABSENT else join(a.rest_value, b.rest_value)
    return Obj(members, a.rest if a.rest == b.rest else _join_presence(a.rest, b.rest), rest_value)


def _item(array):
    if isinstance(array, Arr):
        return array.item
    value = BOTTOM
    for item in array.items:
        value = join(value, item)
    return UNKNOWN if value is BOTTOM else value


def _nonempty(array) -> bool:
    return array.nonempty if isinstance(array, Arr) else bool(array.items)


def equal(a, b) -> bool:
    """Structural equality (the fixed point is reached when no edge value changes)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, Obj):
        return (a.rest == b.rest and a.members.keys() == b.members.keys() and equal(a.rest_value, b.rest_value)
                and all(a.members[k][0] == b.members[k][0] and equal(a.members[k][1], b.members[k][1]) for k in a.members))
    if isinstance(a, Arr):
        return a.nonempty == b.nonempty and equal(a.item, b.item)
    if isinstance(a, Tup):
        return len(a.items) == len(b.items) and all(equal(x, y) for x, y in zip(a.items, b.items))
    return False


def truncate(value, depth: int):
    """Widening for loops that nest a value in itself: below `depth`, anything is UNKNOWN."""
    if depth == 0:
        return UNKNOWN
    if isinstance(value, Obj):
        return Obj({k: (p, truncate(v, depth - 1)) for k, (p, v) in value.members.items()}, value.rest,
                   truncate(value.rest_value, depth - 1))
    if isinstance(value, Arr):
        return Arr(truncate(value.item, depth - 1), value.nonempty)
    if isinstance(value, Tup):
        return Tup(tuple(truncate(v, depth - 1) for v in value.items))
    return value


# ------------------------------------------------------------------------------ reading

def lookup(value, steps) -> tuple:
    """(presence, value, where): where the path stops being certain, `where` is the number of steps
    that were, and the presence of the next one; else (YES or OPEN, the value, len(steps))."""
    presence = YES
    for depth, step in enumerate(steps):
        if step is WILD:  # selects zero or more: what follows is not required
            return presence, UNKNOWN, len(steps)
        if value is UNKNOWN:
            return OPEN, UNKNOWN, len(steps)
        if isinstance(step, str):
            if not isinstance(value, Obj):
                return ABSENT, UNKNOWN, depth
            step_presence, value = value.member(step)
        elif isinstance(value, Tup):
            if step >= len(value.items):
                return ABSENT, UNKNOWN, depth
            step_presence, value = YES, value.items[step]
        elif isinstance(value, Arr):
            step_presence, value = (YES if step == 0 and value.nonempty else MAYBE), value.item
        elif isinstance(value, Obj) and value.rest != ABSENT:  # a map read with an index
            step_presence, value = MAYBE, UNKNOWN
        else:
            return ABSENT, UNKNOWN, depth
        if step_presence not in READABLE:
            return step_presence, value, depth
        if step_presence == OPEN:
            presence = OPEN
    return presence, value, len(steps)


# ------------------------------------------------------------------------------ writing

def put(base, steps, new, presence: str = YES):
    """`base` with the value at `steps` replaced (ResultPath; IsPresent narrowing). Missing
    objects on the way are created, as ResultPath does."""
    if not steps:
        return new
    step, rest = steps[0], steps[1:]
    if step is WILD:
        return base
    if isinstance(step, int):
        if isinstance(base, Arr) and presence != ABSENT:
            # A list of unknown length whose item `step` is now known to be there (an IsPresent
            # test on `list[0].Member`): its first step+1 items are, so it is read as that tuple.
            # Reads past them stay refused, as they were.
            base = Tup((base.item,) * (step + 1))
        if isinstance(base, Tup) and step < len(base.items):
            items = list(base.items)
            items[step] = put(items[step], rest, new, presence)
            return Tup(tuple(items))
        return base
    if isinstance(base, Obj):
        members = dict(base.members)
        old_presence, old = base.member(step)
    else:  # UNKNOWN input: what is known now is this member; the others stay open
        members = {}
        old_presence, old = (OPEN, UNKNOWN) if base is UNKNOWN else (ABSENT, UNKNOWN)
        base = OPEN_OBJECT if base is UNKNOWN else Obj({})
    if rest:
        inner = old if old_presence != ABSENT else Obj({})
        members[step] = (YES if presence != ABSENT or old_presence in READABLE else old_presence,
                         put(inner, rest, new, presence))
        if presence == ABSENT:
            members[step] = (old_presence, members[step][1])
    else:
        members[step] = (presence, new if presence != ABSENT else UNKNOWN)
    return Obj(members, base.rest, base.rest_value)


def known_members(value) -> str:
    """What a value is, for messages: '{a, b?}' (? = may be absent), 'a list that may be empty', ..."""
    if isinstance(value, Obj):
        names = [f"{k}{'' if p in READABLE else '?'}" for k, (p, v) in sorted(value.members.items()) if p != ABSENT]
        if len(names) > 8:
            names = names[:8] + [f"... {len(names) - 8} more"]
        more = {ABSENT: "", MAYBE: ", any other member only maybe", OPEN: ", others unknown"}[value.rest]
        if not names and value.rest == MAYBE:
            return "an object with no member known to be there"
        return "{" + ", ".join(names) + "}" + more
    if isinstance(value, Arr):
        return "a list that may be empty" if not value.nonempty else "a list"
    if isinstance(value, Tup):
        return f"a list of {len(value.items)}"
    if value is SCALAR:
        return "a string, number, boolean or null"
    return "unknown"
