"""The event clock of sfn_harness (Clock.now, Clock.next_second): the tests keep a model's steps a
second apart, as the registry's handler needs (it orders a version's events by their whole second,
compiler/registry/items.py), by moving this clock forward instead of sleeping. It is the time
EventBridge stamps on events (moto's events backend) and the time of the registry library's
decisions (compiler.registry.store.clock, the library's one clock), so both move together."""

from __future__ import annotations

import datetime
import json
import time

import pytest

from compiler.registry import store
from sfn_harness import REGION, install, new_session, next_second

pytestmark = pytest.mark.e2e  # moto-backed AWS


def _seconds(stamp: str) -> float:
    """An EventBridge time (`2026-11-26T01:47:28Z`) or a registry one (with microseconds)."""
    stamp = stamp.rstrip("Z")
    shape = "%Y-%m-%dT%H:%M:%S.%f" if "." in stamp else "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(stamp, shape).replace(tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture
def events_seen(monkeypatch):
    """moto with the harness installed, and a function that puts an event on the default bus and
    returns the `time` EventBridge gave it (an SQS queue is the rule's target)."""
    from moto import mock_aws

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = new_session()
        harness = install(monkeypatch, session)
        sqs, events = session.client("sqs"), session.client("events")
        queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="all", EventPattern=json.dumps({"source": ["test"]}))
        events.put_targets(Rule="all", Targets=[{"Id": "queue", "Arn": arn}])

        def put() -> str:
            events.put_events(Entries=[{"Source": "test", "DetailType": "Tick", "Detail": "{}"}])
            (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            return json.loads(message["Body"])["time"]

        yield harness.clock, put


def test_next_second_moves_event_times_and_registry_decisions_to_the_next_second_at_once(events_seen):
    clock, put = events_seen
    first, decided = put(), store.now()
    started = time.monotonic()

    next_second()
    later, decided_later = put(), store.now()

    assert time.monotonic() - started < 0.5  # nothing slept
    assert _seconds(later) >= _seconds(first) + 1  # EventBridge: a later whole second
    assert decided_later[:19] > decided[:19]  # the registry library's decisions too
    assert abs(_seconds(decided_later) - clock.now()) < 0.5 and abs(_seconds(later) - clock.now()) < 1.5
    assert clock.ahead > 0


def test_the_event_clock_only_moves_forward(events_seen):
    clock, _ = events_seen
    seen = [clock.now()]
    for _ in range(3):
        next_second()
        seen.append(clock.now())
    assert seen == sorted(seen)
    assert [int(b) - int(a) for a, b in zip(seen, seen[1:])] == [1, 1, 1]  # one whole second each step


def test_store_now_is_the_time_of_store_clock(monkeypatch):
    """The registry library's seam: its decisions take their time from `store.clock` alone."""
    moment = datetime.datetime(2026, 11, 26, 1, 47, 28, 123456, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(store, "clock", moment.timestamp)
    assert store.now() == "2026-11-26T01:47:28.123456Z"
