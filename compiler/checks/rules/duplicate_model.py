"""Every model repository checked together (a monorepo) has its own model name: outputs and AWS
names derive from it. The first config to define a name keeps it; later ones are refused."""

from __future__ import annotations

from typing import Iterable, Iterator

from compiler.checks.finding import Finding

RULE = "duplicate-model"
DESCRIPTION = "No two configs checked together define the same model name"


def check_configs(entries: Iterable[tuple[str, str]]) -> Iterator[tuple[int, Finding]]:
    """`entries`: (config file, model name) of every valid config, in the order checked; yields
    (index of the entry, Finding) for each config whose model name an earlier one defines."""
    first_file: dict[str, str] = {}
    for index, (config_file, name) in enumerate(entries):
        if name in first_file:
            yield index, Finding(("model", "name"), f"model '{name}' is also defined in {first_file[name]}",
                                 "every model repository needs its own model name: outputs and AWS names derive from it",
                                 RULE)
        else:
            first_file[name] = config_file
