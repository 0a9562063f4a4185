"""EventBridge schedule expressions: `rate(...)` and six-field `cron(...)`.

Pure parsing, shared by the checks (to report problems) and nothing else needs more than the
string itself. Returns a list of problems (empty when the expression is valid).
"""

from __future__ import annotations

import re

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()
# name, lowest, highest, names, extra characters allowed
_FIELDS = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, _MONTHS, ""),
    ("day-of-week", 1, 7, _DAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)


def problems(expression: str) -> list[str]:
    if expression.startswith("rate("):
        return _rate(expression)
    if expression.startswith("cron("):
        return _cron(expression)
    return ["must be rate(...) or cron(...)"]


def _rate(expression: str) -> list[str]:
    match = _RATE.match(expression)
    if not match:
        return ["rate expressions look like rate(5 minutes), rate(1 hour) or rate(7 days)"]
    value, unit = int(match["value"]), match["unit"]
    if value == 0:
        return ["a rate must be at least 1"]
    if value == 1 and unit.endswith("s"):
        return [f"with a value of 1, EventBridge requires the singular unit: rate(1 {unit[:-1]})"]
    if value > 1 and not unit.endswith("s"):
        return [f"with a value above 1, EventBridge requires the plural unit: rate({value} {unit}s)"]
    return []


def _cron(expression: str) -> list[str]:
    match = _CRON.match(expression)
    fields = match["fields"].split() if match else []
    if len(fields) != 6:
        return [f"cron expressions have six fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"]
    found = [message for spec, value in zip(_FIELDS, fields) for message in _field(spec, value)]
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        found.append("exactly one of day-of-month and day-of-week must be '?'")
    return found


def _field(spec, value: str) -> list[str]:
    name, low, high, names, extra = spec
    if value == "*" or (value == "?" and "?" in extra):
        return []
    for part in value.split(","):
        if not _part_ok(part, low, high, names, extra):
            return [f"{name} field '{value}' is not valid (allowed {low}-{high}{', names' if names else ''}, with , - * /{' ' + ' '.join(extra) if extra else ''})"]
    return []


def _part_ok(part: str, low: int, high: int, names, extra: str) -> bool:
    if "L" in extra and re.fullmatch(r"(\d{1,2})?L", part):
        return True
    if "W" in extra and re.fullmatch(r"\d{1,2}W", part):
        return low <= int(part[:-1]) <= high
    if "#" in extra and "#" in part:
        day, _, nth = part.partition("#")
        return _value_ok(day, low, high, names) and nth in {"1", "2", "3", "4", "5"}
    base, slash, step = part.partition("/")
    if slash and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    first, dash, last = base.partition("-")
    return _value_ok(first, low, high, names) and (not dash or _value_ok(last, low, high, names))


def _value_ok(text: str, low: int, high: int, names) -> bool:
    if text.upper() in names:
        return True
    return text.isdigit() and low <= int(text) <= high
