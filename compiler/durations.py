"""Durations as written in configs (`90s`, `30m`, `2h`, `1d`) in seconds."""

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> int:
    """Assumes the schema's form `<int><unit>` has been checked."""
    return int(duration[:-1]) * _UNIT_SECONDS[duration[-1]]
