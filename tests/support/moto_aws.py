"""AWS for the apply tests: a real moto server in its own process, on a free loopback port.

mlopsc reaches it the way it would reach AWS: boto3 with the standard AWS_ENDPOINT_URL variable,
so no test replaces a boto3 call by hand. Failures AWS would produce and moto does not (throttling,
access denied, a connection lost between two calls) are injected with botocore's own event hooks
on real clients (see `fail_on`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

ACCOUNT = "111111111111"  # the samples' account
REGION = "eu-west-1"


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(environment: dict):
    """A moto server in its own process; yields its URL until the session ends."""
    port = _free_port()
    # The server logs every request to stderr: a file, not a pipe nobody drains (a full pipe blocks it).
    log = tempfile.TemporaryFile()
    server = Path(__file__).with_name("moto_server_fixed.py")  # moto.server, with a gap fixed
    process = subprocess.Popen([sys.executable, str(server), "-H", "127.0.0.1", "-p", str(port)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                pytest.fail(f"moto server did not start: {log.read().decode()[-2000:]}")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def moto_server():
    """A moto server serving each request in the account of its STS credentials (see use_account)."""
    yield from _start({key: value for key, value in os.environ.items() if key != "MOTO_ACCOUNT_ID"})


@pytest.fixture(scope="session")
def moto_executing_server():
    """A moto server that runs the state machines it is given. Its interpreter calls the other
    services in moto's default account whatever the credentials, so this server has one account
    only, the samples' (MOTO_ACCOUNT_ID); account checks are tested on the other server."""
    url_iterator = _start({**os.environ, "MOTO_ACCOUNT_ID": ACCOUNT})
    url = next(url_iterator)
    request = urllib.request.Request(f"{url}/moto-api/config", method="POST",
                                     data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode())
    urllib.request.urlopen(request, timeout=10)
    yield url
    next(url_iterator, None)


def _point_at(url: str, monkeypatch) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def aws(moto_server, monkeypatch):
    """An empty account: moto reset, credentials and region pointing at it."""
    _point_at(moto_server, monkeypatch)
    use_account(ACCOUNT, monkeypatch)
    import boto3

    return boto3.session.Session(region_name=REGION)


@pytest.fixture
def aws_executing(moto_executing_server, monkeypatch):
    """An empty account 111111111111 whose state machines really run (moto's interpreter)."""
    _point_at(moto_executing_server, monkeypatch)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    import boto3

    return boto3.session.Session(region_name=REGION)


def use_account(account: str, monkeypatch) -> None:
    """Credentials of a role in `account`, in the environment: moto serves each request in the
    account of the credentials STS issued, as AWS does."""
    import boto3

    sts = boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/tests", RoleSessionName="mlopsc-tests")[
        "Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])


def create_platform(session, out: Path) -> None:
    """The platform's resources, by the names the compiled manifests give (registry table, event
    bus, the roles), as `mlopsc bootstrap platform` / `model` would create them; and the data
    buckets of new-data triggers, which exist before any of them."""
    from compiler.apply.buckets import data_buckets

    dynamodb, events, iam = session.client("dynamodb"), session.client("events"), session.client("iam")
    tables, buses, roles, topics, buckets = set(), set(), set(), set(), set()
    for manifest_file in sorted(out.glob("*/*/manifest.json")):
        target = json.loads(manifest_file.read_text())["target"]
        pointers = json.loads((manifest_file.parent / "pointers.json").read_text())
        buckets.update(data_buckets(json.loads((manifest_file.parent / "triggers.json").read_text())["rules"]))
        tables.add(pointers["table"])
        buses.add(target["event_bus"])
        roles.update((target["pipeline_role"], target["task_role"]))
        topics.update(_topics(manifest_file.parent))
    for table in sorted(tables):
        dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "sk", "KeyType": "RANGE"}])
    for bus in sorted(buses - {"default"}):
        events.create_event_bus(Name=bus)
    for topic in sorted(topics):
        session.client("sns").create_topic(Name=topic.rsplit(":", 1)[-1])
    for bucket in sorted(buckets):
        session.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "states.amazonaws.com"}}]})
    for arn in sorted(roles):
        iam.create_role(RoleName=arn.rsplit("/", 1)[-1], AssumeRolePolicyDocument=trust)


def fail_on(operation: str, code: str, times: int = 1, after: int = 0):
    """A `configure(session)` hook for `compiler.apply.apply`: after `after` successful calls of
    `operation`, the next `times` calls get the AWS error `code` instead of reaching moto. The
    response goes through botocore's real parsing and retry logic (standard mode retries throttling).
    For the JSON-protocol services apply writes to (DynamoDB, Step Functions, EventBridge, ECS)."""
    return respond_on(operation, {"__type": code, "message": f"injected {code}"}, 400, times, after)


def fail_on_query(operation: str, code: str, status: int = 400, times: int = 1, after: int = 0):
    """As fail_on, for the query-protocol services apply calls (CloudWatch): the XML error
    document AWS answers with (e.g. `AccessDenied` with 403, `Throttling` with 400)."""
    body = (f'<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type>'
            f'<Code>{code}</Code><Message>injected {code}</Message></Error>'
            f'<RequestId>injected</RequestId></ErrorResponse>')
    return _respond_on(operation, body.encode(), "text/xml", status, times, after)


def respond_on(operation: str, body: dict, status: int, times: int = 1, after: int = 0):
    """As fail_on, with any JSON response (e.g. a 200 that reports failed entries)."""
    return _respond_on(operation, json.dumps(body).encode(), "application/x-amz-json-1.0", status, times, after)


def _operation_of(request) -> str:
    """The operation a botocore request calls: the X-Amz-Target header (JSON protocols) or the
    Action of the form-encoded body (query protocol)."""
    from urllib.parse import parse_qs

    target = request.headers.get("X-Amz-Target", b"")
    if target:
        return (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
    body = request.body or b""
    form = parse_qs(body.decode() if isinstance(body, bytes) else body)
    return form.get("Action", [""])[0]


def _respond_on(operation: str, body: bytes, content_type: str, status: int, times: int, after: int):
    seen = {"calls": 0, "failed": 0}

    def before_send(request, **_):
        if _operation_of(request) != operation:
            return None
        seen["calls"] += 1
        if seen["calls"] <= after or seen["failed"] >= times:
            return None
        seen["failed"] += 1
        from botocore.awsrequest import AWSResponse

        return AWSResponse(request.url, status, {"x-amzn-requestid": "injected", "content-type": content_type},
                           _Body(body))

    def configure(session):
        session.events.register("before-send", before_send)

    configure.seen = seen
    return configure


class _Body:
    """The raw response body botocore reads."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def _topics(directory: Path) -> set:
    """The notification topics the compiled state machines publish to."""
    return {state["Parameters"]["TopicArn"] for path in directory.glob("*.asl.json")
            for state in json.loads(path.read_text())["States"].values()
            if state.get("Resource", "").endswith(":sns:publish")}
