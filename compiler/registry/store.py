"""The library calls behind `mlopsc registry`: read and change the registry of one model
environment, found in what `mlopsc compile` wrote (OUT/<model>/<env>/: the manifest gives the
account, region and event bus, pointers.json the table), as `mlopsc apply` finds it.

People's changes are conditional writes (items.approval_write, a promoted copy that never
overwrites), followed by a `ModelApproved` event on the platform's bus: the environment's
`<model>-<env>-deploy-approved` rule starts its deploy pipeline with that version.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import time
import uuid
from pathlib import Path
from typing import Optional

from compiler import aws_session as aws
from compiler.artifacts.read import read_environments
from compiler.errors import AwsError, InputError, Refused
from compiler.registry import items

#: The source of the events `mlopsc registry` publishes is the model's, so the trigger rule (which
#: matches `source: mlops.<model>`) sees them; the detail says who sent them.
SENDER = "mlopsc registry"


@dataclasses.dataclass(frozen=True)
class Place:
    """Where one model environment's registry lives."""

    model: str
    environment: str
    account: str
    region: str
    table: str
    event_bus: str
    pipelines: tuple
    endpoint: Optional[str] = None  # the deploy pipeline's SageMaker endpoint (variants.py reads it)


def locate(out: Path, environment: str, model: Optional[str] = None) -> list[Place]:
    """Every model environment of OUT with `environment` (only `model`'s when given)."""
    places = [Place(env.target.model, env.target.environment, env.target.account, env.target.region,
                    env.pointers["table"], env.target.event_bus, tuple(sorted(env.definitions)),
                    _endpoint_name(env.definitions.get("deploy")))
              for env in read_environments(out, environment)]
    if model is None:
        return places
    chosen = [place for place in places if place.model == model]
    if not chosen:
        raise InputError(f"{out}: no model '{model}' has an environment '{environment}'",
                         f"models compiled there: {', '.join(p.model for p in places)}")
    return chosen


def _endpoint_name(deploy: Optional[dict]) -> Optional[str]:
    """The endpoint the compiled deploy pipeline updates (target sagemaker-endpoint), if any."""
    for state in ((deploy or {}).get("States") or {}).values():
        if str(state.get("Resource", "")).endswith(":sagemaker:updateEndpoint"):
            return state.get("Parameters", {}).get("EndpointName")
    return None


def locate_one(out: Path, environment: str, model: Optional[str]) -> Place:
    places = locate(out, environment, model)
    if len(places) > 1:
        raise InputError(f"{out}: {len(places)} models have an environment '{environment}': "
                         f"{', '.join(p.model for p in places)}", "name one with --model")
    return places[0]


def clock() -> float:
    """Seconds since the epoch: where the registry library reads the time of its decisions (`now`;
    variants.py's through it). Tests replace it with the clock that stamps their EventBridge events
    (tests/support/sfn_harness.py, Clock), so that a decision is ordered against those events."""
    return time.time()


def now() -> str:
    """The time of a decision, UTC with microseconds (`2026-11-26T01:47:28.123456Z`)."""
    return datetime.datetime.fromtimestamp(clock(), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EnvironmentRegistry:
    """One model environment's registry as people read and change it (`mlopsc registry`), through
    boto3 clients in its region; the Lambda handler's writer is compiler.registry.handler.EventRecorder."""

    def __init__(self, place: Place, clients):
        self.place = place
        self.clients = clients
        self._caller: Optional[str] = None

    @classmethod
    def connect(cls, place: Place, configure=None) -> "EnvironmentRegistry":
        found = aws.clients(place.region, configure)
        registry = cls(place, aws.Clients(found.session, place.region))
        registry._check_account()
        return registry

    # ------------------------------------------------------------------ reading

    def versions(self) -> list[dict]:
        found = self._query(items.version_prefix(self.place.environment))
        return sorted((items.version_view(item) for item in found),
                      key=lambda v: (v.get("registered_at", ""), v.get("version", "")), reverse=True)

    def pointers(self) -> dict:
        return self._get(items.pointers_sk(self.place.environment)) or {}

    def deployment_lock(self) -> dict:
        return self._get(items.deployment_sk(self.place.environment)) or {}

    def version(self, version: str) -> dict:
        found = self._get(items.version_sk(self.place.environment, version))
        if found is None:
            known = [v["version"] for v in self.versions()[:5]]
            raise Refused(f"{self._name}: no version '{version}'",
                          f"latest versions: {', '.join(known)}" if known else
                          "no version is registered yet: a retrain run registers one when its gate passes")
        return items.version_view(found)

    def runs(self, pipeline: Optional[str] = None) -> list[dict]:
        found = self._query(items.run_prefix(self.place.environment, pipeline))
        return sorted((items.run_view(item) for item in found),
                      key=lambda r: (r.get("started_at") or r.get("finished_at") or "", r["run_id"]), reverse=True)

    def deployments(self, version: Optional[str] = None) -> list[dict]:
        return [run for run in self.runs("deploy") if version is None or run.get("version") == version]

    # ------------------------------------------------------------------ changing

    def approve(self, version: str, reason: Optional[str] = None) -> dict:
        """pending -> approved, then ModelApproved (which starts the deploy pipeline). A model
        without a deploy pipeline has nothing to deploy: approving releases the version to its
        batch pipeline by moving the approved pointer (items.releases_on_approval)."""
        releases = self._releases_on_approval()
        if not releases:
            self._require_deploy()
        self._decide(version, items.APPROVED, reason, [items.PENDING])
        if releases:
            self._release(version)
        return self._publish_approved(version, "approve", reason)

    def _releases_on_approval(self) -> bool:
        """No deploy pipeline here, and a batch one: an approved version is released to batch."""
        return "deploy" not in self.place.pipelines and "batch" in self.place.pipelines

    def _release(self, version: str) -> None:
        found = self.version(version)
        at = now()
        order = items.order_key(at[:19] + "Z", 1, str(uuid.uuid4()))  # as event times are: whole seconds
        write = items.pointer_write(self.place.model, self.place.environment, version, found.get("model_data"),
                                    found.get("execution", ""), at, order)
        try:
            self._call(f"release version {version}", self.clients.dynamodb.update_item,
                       **write.request(self.place.table))
        except _ConditionFailed:
            pass  # a later approval moved the pointer already: it stays there

    def reject(self, version: str, reason: Optional[str] = None) -> dict:
        """pending (or approved, but not serving) -> rejected: the deploy pipeline refuses it."""
        if self.pointers().get("approved_version") == version:
            if "deploy" not in self.place.pipelines:  # approval released it (approve): nothing to roll back
                raise Refused(f"{self._name}: version '{version}' is the released one (approved_version): "
                              "batch scores with it", "approve another version first (that releases it), "
                              "then reject this one")
            raise Refused(f"{self._name}: version '{version}' is the one deployed (approved_version)",
                          "roll back first (`mlopsc registry rollback`), then reject it")
        self._decide(version, items.REJECTED, reason, [items.PENDING, items.APPROVED])
        detail = self._detail(version, "reject", reason, approval=items.REJECTED)
        self._put_event("ModelRejected", detail)
        return detail

    def promote(self, version: str, source: "EnvironmentRegistry") -> dict:
        """Copy an approved version that deployed in `source` into this environment, approved: it
        deploys here, or, without a deploy pipeline, is released to batch (as approve does), which
        is how versions reach a batch-only environment whose retrain is switched off."""
        releases = self._releases_on_approval()
        if not releases:
            self._require_deploy()
        for key in ("account", "region", "table"):
            if getattr(source.place, key) != getattr(self.place, key):
                raise Refused(
                    f"cannot promote from {source._name} to {self._name}: their {key}s differ "
                    f"({getattr(source.place, key)} and {getattr(self.place, key)})",
                    "promote works within one account, region and registry table (the version's images and "
                    "model data are there); across accounts, copy them and register the version there")
        found = source._get(items.version_sk(source.place.environment, version))
        if found is None:
            source.version(version)  # raises with the known versions
        if found.get("approval") != items.APPROVED:
            raise Refused(f"{source._name}: version '{version}' is {found.get('approval')}, not approved",
                          f"approve it there first: mlopsc registry approve OUT {version} "
                          f"--env {source.place.environment}")
        if "deploy" in source.place.pipelines and not found.get("last_deployed_at"):
            raise Refused(f"{source._name}: version '{version}' never deployed successfully there",
                          "promote what ran: wait for its deployment there (`mlopsc registry history`)")
        copied = items.promoted_item(found, self.place.environment, self._who(), now())
        try:
            self._call("copy the version", self.clients.dynamodb.put_item, TableName=self.place.table,
                       Item=items.to_item(copied), ConditionExpression="attribute_not_exists(pk)")
        except _ConditionFailed:
            existing = self.version(version)
            raise Refused(f"{self._name}: version '{version}' is already here ({existing.get('approval')})",
                          f"to deploy it again: mlopsc registry rollback OUT --env {self.place.environment} "
                          f"--to {version}") from None
        if releases:
            self._release(version)
        return self._publish_approved(version, "promote", f"promoted from {source.place.environment}")

    def rollback(self, to: Optional[str] = None) -> dict:
        """Deploy the version that served before the current one (or `to`), without retraining."""
        self._require_deploy()
        lock = self.deployment_lock()
        if lock.get("status") == items.DEPLOYING:
            raise Refused(f"{self._name}: a deployment is running ({lock.get('execution')})",
                          "wait for it to end (`mlopsc registry history`), then roll back")
        current = self.pointers().get("approved_version")
        if to is None:
            to = self._previous(current)
        target = self.version(to)
        if target.get("approval") != items.APPROVED:
            raise Refused(f"{self._name}: version '{to}' is {target.get('approval')}, not approved",
                          "only approved versions deploy; approve it first")
        if to == current:
            raise Refused(f"{self._name}: version '{to}' is already the deployed one", "nothing to roll back")
        return self._publish_approved(to, "rollback", f"rollback from {current}" if current else "rollback",
                                      rollback_from=current)

    def _previous(self, current: Optional[str]) -> str:
        if current is None:
            raise Refused(f"{self._name}: nothing is deployed yet (no approved_version)",
                          "approve a version to deploy it: mlopsc registry approve OUT VERSION --env ENV")
        deployed = sorted((run for run in self.deployments() if run.get("outcome") == items.DEPLOYED),
                          key=lambda run: run.get("finished_at", ""), reverse=True)
        for run in deployed:
            version = run.get("version")
            if version and version != current:
                found = self._get(items.version_sk(self.place.environment, version))
                if found and found.get("approval") == items.APPROVED:
                    return version
        raise Refused(f"{self._name}: no version deployed before '{current}' is still approved",
                      "name one with --to VERSION (`mlopsc registry list` shows them)")

    def _decide(self, version: str, approval: str, reason: Optional[str], expected: list) -> None:
        write = items.approval_write(self.place.model, self.place.environment, version, approval, self._who(), now(),
                                     reason, expected)
        try:
            self._call(f"{approval} version {version}", self.clients.dynamodb.update_item,
                       **write.request(self.place.table))
        except _ConditionFailed:
            current = self.version(version)  # raises when there is no such version
            by = current.get("approved_by") or current.get("rejected_by")
            hint = (f"to deploy it again: mlopsc registry rollback OUT --env {self.place.environment} --to {version}"
                    if current.get("approval") == items.APPROVED else "only a pending version can be approved")
            raise Refused(f"{self._name}: version '{version}' is {current.get('approval')}"
                          + (f" (by {by})" if by else "") + f", not {' or '.join(expected)}", hint) from None

    def _publish_approved(self, version: str, action: str, reason: Optional[str], **extra) -> dict:
        found = self.version(version)
        detail = self._detail(version, action, reason, approval=items.APPROVED, model_data=found.get("model_data"),
                              **extra)
        self._put_event("ModelApproved", detail)
        return detail

    def _detail(self, version: str, action: str, reason: Optional[str], **extra) -> dict:
        detail = {"model": self.place.model, "environment": self.place.environment, "version": version,
                  "action": action, "by": self._who(), "sender": SENDER}
        if reason:
            detail["reason"] = reason
        detail.update({k: v for k, v in extra.items() if v is not None})
        return detail

    def _put_event(self, detail_type: str, detail: dict) -> None:
        entry = {"Source": f"mlops.{self.place.model}", "DetailType": detail_type, "Detail": json.dumps(detail),
                 "EventBusName": self.place.event_bus}
        doing = f"publish {detail_type} for version {detail['version']} on bus {self.place.event_bus}"
        answer = self._call(doing, self.clients.events.put_events, Entries=[entry])
        if answer.get("FailedEntryCount"):
            failed = answer["Entries"][0]
            raise AwsError(f"{doing}: {failed.get('ErrorCode')}: {failed.get('ErrorMessage')} (the registry "
                           "was updated, the event was not sent)",
                           f"send it again: mlopsc registry rollback OUT --env {self.place.environment} "
                           f"--to {detail['version']}")

    def _require_deploy(self) -> None:
        if "deploy" not in self.place.pipelines:
            raise Refused(f"{self._name} has no deploy pipeline", "approving deploys a version; configure "
                          "pipelines.deploy, compile and apply first")

    # ------------------------------------------------------------------ AWS

    @property
    def _name(self) -> str:
        return f"{self.place.model}/{self.place.environment}"

    def _check_account(self) -> None:
        identity = self._call("checking the caller's account (sts:GetCallerIdentity)",
                              self.clients.sts.get_caller_identity)
        self._caller = identity.get("Arn", "unknown")
        if identity["Account"] != self.place.account:
            raise Refused(f"{self._name}: its registry is in account {self.place.account}, but the credentials "
                          f"are of account {identity['Account']}",
                          "use credentials of the environment's account")

    def _who(self) -> str:
        return self._caller or "unknown"

    def _get(self, sk: str) -> Optional[dict]:
        found = self._call(f"read {sk}", self.clients.dynamodb.get_item, TableName=self.place.table,
                           Key=items.to_item(items.key(self.place.model, sk)), ConsistentRead=True)
        return items.from_item(found.get("Item"))

    def _query(self, prefix: str) -> list[dict]:
        request = {"TableName": self.place.table, "ConsistentRead": True,
                   "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                   "ExpressionAttributeValues": items.to_item({":pk": items.model_key(self.place.model),
                                                               ":prefix": prefix})}
        found = []
        while True:
            page = self._call(f"list {prefix}", self.clients.dynamodb.query, **request)
            found += [items.from_item(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _call(self, doing: str, method, **kwargs):
        try:
            return method(**kwargs)
        except Exception as error:  # noqa: BLE001 - botocore failures become messages
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailed() from None
            if code == "ResourceNotFoundException" and getattr(error, "operation_name", "") in (
                    "GetItem", "UpdateItem", "PutItem", "Query"):
                raise AwsError(f"{self._name}: {doing}: the registry table {self.place.table} does not exist in "
                               f"account {self.place.account}, {self.place.region}",
                               "create the platform first: `mlopsc bootstrap platform` prints its "
                               "CloudFormation template") from None
            if code == "ResourceNotFoundException" and getattr(error, "operation_name", "") == "PutEvents":
                raise AwsError(f"{self._name}: {doing}: the event bus does not exist",
                               "create the platform first: `mlopsc bootstrap platform`") from None
            raise aws.explain(error, f"{self._name}: {doing}") from None


class _ConditionFailed(Exception):
    """A conditional write found the item not as expected (the caller says why)."""


__all__ = ["EnvironmentRegistry", "Place", "locate", "locate_one"]
