"""How apply shows its plan and what it did, in the spirit of `terraform plan` / `apply`."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "start": ">", "kept": "!", "skip": "."}
#: Summary order and wording of each action.
SUMMARY = (("create", "to create"), ("update", "to update"), ("delete", "to delete"), ("start", "run to start"),
           ("unchanged", "unchanged"), ("kept", "kept (older commit)"), ("skip", "skipped"))


#: What to do when apply keeps an environment (apply then exits 1, so the pipeline shows it).
KEPT_HINT = ("apply a commit whose history holds the applied one (merge it first), from a full clone so git can tell; "
             "a re-run of an older pipeline execution can be ignored")


def plan_text(outcome, stream: TextIO) -> None:
    stream.write(f"Plan for account {outcome.account}, region {outcome.region}:\n")
    for plan in outcome.plans:
        stream.write(f"\n{plan.directory}\n")
        for change in plan.changes:
            stream.write(f"  {SYMBOLS[change.action]} {change.kind} {change.name}"
                         f"{'' if change.action in ('create', 'update', 'delete', 'unchanged') else ' (' + change.action + ')'}\n")
            for line in change.details:
                stream.write(f"      {line}\n")
    counts = Counter(change.action for plan in outcome.plans for change in plan.changes)
    stream.write("\nPlan: " + ", ".join(f"{counts[action]} {words}" for action, words in SUMMARY if counts[action]) + ".\n")


def result_text(outcome, dry_run: bool, stream: TextIO) -> None:
    pending = [change for plan in outcome.plans for change in plan.changes if change.pending]
    for directory, message in outcome.superseded:
        stream.write(f"{directory}: {message}\n")
    if outcome.failure is not None:
        failure = outcome.failure
        stream.write(f"error: {failure.message}\n  hint: {failure.hint}\n")
        if failure.change is None:
            stream.write("Nothing was applied.\n")
        else:
            done = {id(change) for change in outcome.applied}
            stream.write(f"Applied {len(outcome.applied)} of {len(pending)} changes before the failure; not applied:\n")
            for change in pending:
                if id(change) not in done:
                    stream.write(f"  {SYMBOLS[change.action]} {change.kind} {change.name}\n")
            stream.write("Run apply again: it converges from where it stopped.\n")
        return
    for directory, why in outcome.kept:
        stream.write(f"error: {directory}: left as it is: {why}\n  hint: {KEPT_HINT}\n")
    if not pending and outcome.kept:
        stream.write("Nothing applied: the applied commit is not in the history of this one.\n")
    elif not pending:
        stream.write("No changes: AWS already matches OUT.\n")
    elif dry_run:
        stream.write(f"Dry run: {len(pending)} changes not applied.\n")
    else:
        stream.write(f"Apply complete: {len(outcome.applied)} changes applied.\n")


def outcome_json(outcome, dry_run: bool, stream: TextIO) -> None:
    applied = {id(change) for change in outcome.applied}

    def change_json(change):
        return {"kind": change.kind, "name": change.name, "action": change.action, "details": list(change.details),
                "applied": id(change) in applied}

    document = {
        "account": outcome.account, "region": outcome.region, "dry_run": dry_run,
        "environments": [{"directory": plan.directory, "changes": [change_json(c) for c in plan.changes]}
                         for plan in outcome.plans],
        "superseded": [{"directory": d, "message": m} for d, m in outcome.superseded],
        "kept": [{"directory": d, "message": m, "hint": KEPT_HINT} for d, m in outcome.kept],
        "error": None if outcome.failure is None else {"directory": outcome.failure.directory,
                                                       "message": outcome.failure.message,
                                                       "hint": outcome.failure.hint},
    }
    stream.write(json.dumps(document, indent=2) + "\n")
