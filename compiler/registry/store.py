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
from compiler import names
from compiler.artifacts.read import read_environments
from compiler.errors import AwsError, InputError, Refused
from compiler.registry import items, sagemaker_mirror

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
    partition: str = "aws"
    artifact_bucket: Optional[str] = None  # where a version promoted from another account gets its model data


def locate(out: Path, environment: str, model: Optional[str] = None) -> list[Place]:
    """Every model environment of OUT with `environment` (only `model`'s when given)."""
    places = [Place(env.target.model, env.target.environment, env.target.account, env.target.region,
                    env.pointers["table"], env.target.event_bus, tuple(sorted(env.definitions)),
                    _endpoint_name(env.definitions.get("deploy")), env.target.partition, env.target.artifact_bucket)
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
        """The registry with the caller's credentials, or, when the environment is in another account
        (cross-account delivery), as its registry role there (`mlopsc bootstrap target` makes it):
        AWS's STS AssumeRole, the caller's credentials never leaving this process."""
        found = aws.clients(place.region, configure)
        registry = cls(place, aws.Clients(found.session, place.region))
        identity = registry._identity()
        registry._caller = identity.get("Arn", "unknown")
        if identity["Account"] != place.account:
            registry.clients = registry._as_registry_role(identity["Account"], configure)
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

    def compare(self, versions: list[str]) -> dict:
        """`mlopsc registry compare`: the versions side by side, the first the reference."""
        from compiler.registry import compare

        return compare.compare(self.place.model, self.place.environment, [self.version(v) for v in versions])

    def lineage(self, version: str, limit: int = 100) -> dict:
        """`mlopsc registry lineage`: the version and its parents (`lineage.parent_version`), newest
        first. A promoted copy's parents are versions of the environment it came from (promote
        needs one table, so they are read here too)."""
        from compiler.registry import compare

        current, environment, seen, chain, end = self.version(version), self.place.environment, set(), [], None
        while True:
            chain.append({**compare.lineage_step(current), "environment": environment})
            seen.add((environment, current["version"]))
            environment = current.get("promoted_from") or environment
            parent = (current.get("lineage") or {}).get("parent_version")
            if not parent:
                break
            if (environment, parent) in seen or len(chain) >= limit:
                end = f"stopped at {parent}: " + ("seen before in this chain" if len(chain) < limit
                                                 else f"{limit} versions shown")
                break
            found = self._get(items.version_sk(environment, parent))
            if found is None:
                end = f"parent {parent} is not in the registry of {environment}"
                break
            current = items.version_view(found)
        return {"model": self.place.model, "environment": self.place.environment, "version": version,
                "chain": chain, "end": end}

    def runs(self, pipeline: Optional[str] = None) -> list[dict]:
        found = self._query(items.run_prefix(self.place.environment, pipeline))
        return sorted((items.run_view(item) for item in found),
                      key=lambda r: (r.get("started_at") or r.get("finished_at") or "", r["run_id"]), reverse=True)

    def deployments(self, version: Optional[str] = None) -> list[dict]:
        return [run for run in self.runs("deploy") if version is None or run.get("version") == version]

    def drift_alarms(self) -> list[dict]:
        """The DRIFT items, one per cool-down window a drift alarm started a retrain in, newest first."""
        found = self._query(items.drift_prefix(self.place.environment))
        return sorted(({k: v for k, v in item.items() if k not in ("pk", "sk")} for item in found),
                      key=lambda d: (d.get("detected_at", ""), d.get("window", "")), reverse=True)

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
        published = self._publish_approved(version, "approve", reason)
        self._mirror_decision(version, items.APPROVED, reason)  # last: its failure leaves the deploy started
        return published

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
        self._mirror_decision(version, items.REJECTED, reason)
        return detail

    def promote(self, version: str, source: "EnvironmentRegistry") -> dict:
        """Copy an approved version that deployed in `source` into this environment, approved: it
        deploys here, or, without a deploy pipeline, is released to batch (as approve does), which
        is how versions reach a batch-only environment whose retrain is switched off."""
        releases = self._releases_on_approval()
        if not releases:
            self._require_deploy()
        across = source.place.account != self.place.account
        for key in ("region",) if across else ("account", "region", "table"):
            if getattr(source.place, key) != getattr(self.place, key):
                raise Refused(
                    f"cannot promote from {source._name} to {self._name}: their {key}s differ "
                    f"({getattr(source.place, key)} and {getattr(self.place, key)})",
                    "promote works within one region, and within one account through one registry table (the "
                    "version's images replicate to other accounts of the region: docs/bootstrap.md)")
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
        if across:
            if self._get(items.version_sk(self.place.environment, version)) is not None:
                self._refuse_promoted_twice(version)  # before copying its model data again
            copied = self._carried_over(copied, source)
        try:
            self._call("copy the version", self.clients.dynamodb.put_item, TableName=self.place.table,
                       Item=items.to_item(copied), ConditionExpression="attribute_not_exists(pk)")
        except _ConditionFailed:
            self._refuse_promoted_twice(version)
        if releases:
            self._release(version)
        return self._publish_approved(version, "promote", f"promoted from {source.place.environment}")

    def _refuse_promoted_twice(self, version: str) -> None:
        existing = self.version(version)
        raise Refused(f"{self._name}: version '{version}' is already here ({existing.get('approval')})",
                      f"to deploy it again: mlopsc registry rollback OUT --env {self.place.environment} "
                      f"--to {version}") from None

    def _carried_over(self, copied: dict, source: "EnvironmentRegistry") -> dict:
        """A version from another account, as this account runs it: its images, by the same digests,
        in this account's repositories of the same names (ECR replication put them there: the
        platform stack's ImageReplication), and its model data and baseline copied into this
        account's artifact bucket under the same keys (the deploy and drift pipelines here read
        them with this account's roles; the copy outlives the delivery account's retention)."""
        result = dict(copied, promoted_from_account=source.place.account)
        if isinstance(result.get("images"), dict):
            result["images"] = {runtime: self._replicated(uri, source.place.account)
                                for runtime, uri in sorted(result["images"].items())}
        for key in ("model_data", "baseline_uri"):
            if isinstance(result.get(key), str) and result[key].startswith("s3://"):
                result[key] = self._copied(result[key], source)
        return result

    def _replicated(self, uri: str, source_account: str) -> str:
        """`uri` of the source account's registry as this account's, which must have the image."""
        host, _, rest = uri.partition("/")
        if not (host.startswith(f"{source_account}.dkr.ecr.") and "@" in rest):
            return uri  # an image of neither registry (AWS-provided, or pinned elsewhere): as it is
        here = f"{self.place.account}.{host.split('.', 1)[1]}"
        repository, _, digest = rest.partition("@")
        try:
            self.clients.ecr.describe_images(registryId=self.place.account, repositoryName=repository,
                                             imageIds=[{"imageDigest": digest}])
        except Exception as error:  # noqa: BLE001
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code not in ("ImageNotFoundException", "RepositoryNotFoundException"):
                raise aws.explain(error, f"{self._name}: looking for {repository}@{digest}") from None
            raise Refused(f"{self._name}: image {repository}@{digest} is not in account {self.place.account} yet",
                          "ECR replicates the delivery account's images within minutes (its platform stack, printed "
                          f"with --target-account {self.place.account}); promote again then") from None
        return f"{here}/{rest}"

    def _copied(self, uri: str, source: "EnvironmentRegistry") -> str:
        """Every object under `uri` (a prefix of the source's artifact bucket) copied into this
        environment's artifact bucket, same keys; streamed, never written to disk."""
        if not self.place.artifact_bucket:
            raise InputError(f"{self._name}: the compiled manifest names no artifact bucket",
                             "compile again with this mlopsc (the manifest's target gained artifact_bucket)")
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        if bucket == self.place.artifact_bucket:
            return uri
        pages = source.clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        try:
            keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
            for key in keys:
                body = source.clients.s3.get_object(Bucket=bucket, Key=key)["Body"]
                self.clients.s3.upload_fileobj(body, self.place.artifact_bucket, key)
        except Exception as error:  # noqa: BLE001
            raise aws.explain(error, f"{self._name}: copying {uri} to s3://{self.place.artifact_bucket}/{prefix}") from None
        return f"s3://{self.place.artifact_bucket}/{prefix}"

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

    def _mirror_decision(self, version: str, approval: str, reason: Optional[str]) -> None:
        """`register.sagemaker`: the decision on the version's model package too (SageMaker API
        reference, UpdateModelPackage). Its state change event comes back to the registry handler,
        which finds the version decided already and changes nothing (sagemaker_mirror)."""
        arn = (self._get(items.version_sk(self.place.environment, version)) or {}).get("model_package_arn")
        if not arn:
            return
        request = sagemaker_mirror.approval_update(arn, approval, self._who(), reason)
        try:
            self._call(f"set model package {arn} {request['ModelApprovalStatus']}",
                       self.clients.sagemaker.update_model_package, **request)
        except AwsError as error:
            raise AwsError(f"{error} (the registry recorded the decision and sent its event; SageMaker's "
                           "model package was not updated)",
                           f"update it there: aws sagemaker update-model-package --model-package-arn {arn} "
                           f"--model-approval-status {request['ModelApprovalStatus']}; {error.hint}") from None

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

    def _identity(self) -> dict:
        return self._call("checking the caller's account (sts:GetCallerIdentity)", self.clients.sts.get_caller_identity)

    @property
    def registry_role(self) -> str:
        place = self.place
        return names.account_role_arn(place.partition, place.account, names.registry_role(place.model, place.environment))

    def _as_registry_role(self, caller_account: str, configure=None):
        """Clients in the environment's account as its registry role, which must exist there (its
        policy lets it read itself: moto, unlike IAM, lets anyone assume any role ARN)."""
        import boto3

        role = self.registry_role
        refused = Refused(f"{self._name}: its registry is in account {self.place.account}, but the credentials are of "
                          f"account {caller_account}, and cannot assume its registry role {role}",
                          "deploy the environment's target stack there (`mlopsc bootstrap target PATH --account "
                          f"{self.place.account}`) and allow these credentials sts:AssumeRole on the role; or use "
                          "credentials of the environment's account")
        try:
            answer = self.clients.sts.assume_role(RoleArn=role, RoleSessionName="mlopsc-registry")
        except Exception as error:  # noqa: BLE001
            if getattr(error, "response", {}).get("Error", {}).get("Code") in ("AccessDenied", "AccessDeniedException"):
                raise refused from None
            raise aws.explain(error, f"{self._name}: assuming {role}") from None
        credentials = answer["Credentials"]
        session = boto3.session.Session(aws_access_key_id=credentials["AccessKeyId"],
                                        aws_secret_access_key=credentials["SecretAccessKey"],
                                        aws_session_token=credentials["SessionToken"], region_name=self.place.region)
        if configure is not None:
            configure(session)
        clients = aws.Clients(session, self.place.region)
        try:
            clients.iam.get_role(RoleName=names.role_name(role))
        except Exception as error:  # noqa: BLE001
            if getattr(error, "response", {}).get("Error", {}).get("Code") == "NoSuchEntity":
                raise refused from None
            raise aws.explain(error, f"{self._name}: checking {role}") from None
        return clients

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
