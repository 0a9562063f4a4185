"""Follow one execution: its history, read incrementally, turned into progress for a display.

Only states that do work are shown (Task, Map, Parallel, Wait); Choice and Pass states are
bookkeeping. Polling starts at one second and grows by half up to ten while nothing happens, so a
long training job costs a few calls a minute.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from typing import Callable, Iterator, Optional, Protocol

SHOWN = ("Task", "Map", "Parallel", "Wait")
FIRST_POLL, MAX_POLL, POLL_GROWTH = 1.0, 10.0, 1.5
DONE = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
        "ExecutionAborted": "ABORTED"}


class Display(Protocol):
    def state_entered(self, name: str) -> None: ...
    def state_exited(self, name: str, seconds: float) -> None: ...
    def map_progress(self, name: str, done: int, total: int) -> None: ...
    def finished(self, outcome: "Outcome") -> None: ...


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    seconds: float
    error: Optional[str] = None
    cause: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.status == "SUCCEEDED"


def follow(sfn, execution_arn: str, display: Display, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Show the execution's progress until it ends; returns how it ended."""
    seen = 0  # the highest history event id shown
    entered: dict[str, datetime] = {}
    map_runs: dict[str, str] = {}  # map run ARN -> state name
    started: Optional[datetime] = None
    interval = FIRST_POLL
    while True:
        events = _new_events(sfn, execution_arn, seen)
        for event in events:
            seen = event["id"]
            kind = event["type"]
            if kind == "ExecutionStarted":
                started = event["timestamp"]
            elif kind.endswith("StateEntered") and kind[:-len("StateEntered")] in SHOWN:
                name = event["stateEnteredEventDetails"]["name"]
                entered[name] = event["timestamp"]
                display.state_entered(name)
            elif kind.endswith("StateExited") and kind[:-len("StateExited")] in SHOWN:
                name = event["stateExitedEventDetails"]["name"]
                began = entered.pop(name, event["timestamp"])
                display.state_exited(name, (event["timestamp"] - began).total_seconds())
            elif kind == "MapRunStarted":
                map_runs[event["mapRunStartedEventDetails"]["mapRunArn"]] = _innermost(entered)
            elif kind in DONE:
                details = event.get(_details_key(kind), {})
                outcome = Outcome(DONE[kind], (event["timestamp"] - (started or event["timestamp"])).total_seconds(),
                                  details.get("error"), details.get("cause"))
                display.finished(outcome)
                return outcome
        for arn, name in map_runs.items():
            counts = sfn.describe_map_run(mapRunArn=arn)["itemCounts"]
            display.map_progress(name, counts["succeeded"] + counts["failed"] + counts.get("aborted", 0)
                                 + counts.get("timedOut", 0), counts["total"])
        interval = FIRST_POLL if events else min(interval * POLL_GROWTH, MAX_POLL)
        sleep(interval)


def _new_events(sfn, execution_arn: str, seen: int) -> list[dict]:
    """History events with an id above `seen`, oldest first. Pages are asked newest first, and
    paging stops at a page that reaches an event already shown, so a long history is not read
    again at every poll (a service that ignores reverseOrder is still read correctly, in full)."""
    new: list[dict] = []
    token = None
    while True:
        page = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=100,
                                         **({"nextToken": token} if token else {}))
        ids = [event["id"] for event in page["events"]]
        new += [event for event in page["events"] if event["id"] > seen]
        token = page.get("nextToken")
        newest_first = len(ids) > 1 and ids[0] > ids[-1]
        if not token or (newest_first and min(ids) <= seen):
            return sorted(new, key=lambda event: event["id"])


def _innermost(entered: dict) -> str:
    return next(reversed(entered), "Map") if entered else "Map"


def _details_key(kind: str) -> str:
    return kind[0].lower() + kind[1:] + "EventDetails"


def recent(sfn, state_machines: dict, limit: int) -> Iterator[dict]:
    """The latest executions of each pipeline, newest first."""
    from botocore.exceptions import ClientError

    for pipeline, arn in sorted(state_machines.items()):
        try:
            page = sfn.list_executions(stateMachineArn=arn, maxResults=limit)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "StateMachineDoesNotExist":
                raise
            continue  # not applied (yet) in this account: it has no runs
        for execution in page["executions"]:
            stopped = execution.get("stopDate")
            yield {"pipeline": pipeline, "name": execution["name"], "status": execution["status"],
                   "started": execution["startDate"], "stopped": stopped,
                   "seconds": (stopped - execution["startDate"]).total_seconds() if stopped else None,
                   "arn": execution["executionArn"]}
