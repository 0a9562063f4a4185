"""The registry's Lambda function: keeps the registry table current from the pipelines' events.

EventBridge invokes it (asynchronously) for every event on the platform's bus whose source starts
with `mlops.`. Standard library and boto3 only, so it runs on the Lambda Python runtime as shipped
(`mlopsc bootstrap platform --handler-zip FILE` writes its zip). The table is named by the
environment variable MLOPS_REGISTRY_TABLE.

Per event (see items.py for the conditions); an event forwarded from another account (the target
stack's rule, cross-account delivery) gets its RUN item only:

- every handled event: its RUN item (`RUN#<env>#<pipeline>#<run id>`); DriftDetected records the
  alarm and the live version on a drift-started retrain run, DriftChecked ends a drift run;
- ModelRegistered: the version's code commit and, with automatic approval, who approved it; with
  automatic approval in a model without a deploy pipeline, the approved pointer moves to it;
- DeploymentStarted / Succeeded / Failed / TimedOut / RolledBack: the version's deployment state
  (the failure events carry no version: it comes from the run's DeploymentStarted, or from the
  DEPLOYMENT lock when that names this execution);
- DeploymentSucceeded: the approved pointer (`approved_version`, `approved_model_data`) moves to
  the version, unless a later deployment already moved it.

It also gets SageMaker's "SageMaker Model Package State Change" events of the package versions the
pipelines created (`register.sagemaker`; the platform's rule on the default bus): an approval
changed in SageMaker is recorded on the version (compiler.registry.sagemaker_mirror).

A write whose condition fails is the expected outcome of a redelivered or overtaken event and is
skipped. An event it cannot read is logged and dropped. Any other error raises, so Lambda retries
the event (twice) and then sends it to the dead-letter queue; retrying is safe, since every write
is idempotent.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Optional

from compiler.registry import items, sagemaker_mirror

LOG = logging.getLogger("mlops.registry")
LOG.setLevel(logging.INFO)
TABLE_VARIABLE = "MLOPS_REGISTRY_TABLE"
_CLIENT = None


def handler(event, context=None) -> dict:
    """Lambda's entry point. Returns what was done (for tests and the function's log)."""
    table = os.environ.get(TABLE_VARIABLE)
    if not table:
        raise RuntimeError(f"{TABLE_VARIABLE} is not set")
    return EventRecorder(_dynamodb(), table, _own_account(context)).consume(event)


def _own_account(context) -> Optional[str]:
    """The function's account, from its ARN (Lambda's context object, invoked_function_arn)."""
    arn = getattr(context, "invoked_function_arn", None)
    return arn.split(":")[4] if isinstance(arn, str) and arn.count(":") >= 5 else None


def _dynamodb():
    global _CLIENT
    if _CLIENT is None:
        import boto3
        from botocore.config import Config

        _CLIENT = boto3.session.Session().client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 6}))
    return _CLIENT


class EventRecorder:
    """Records the pipelines' events in the registry table (the Lambda function's work; `mlopsc
    registry`'s reads and approvals are compiler.registry.store.EnvironmentRegistry)."""

    def __init__(self, dynamodb, table: str, account: Optional[str] = None):
        self.dynamodb = dynamodb
        self.table = table
        self.account = account  # the registry's own account; None: every event is taken as its own

    def consume(self, raw) -> dict:
        if sagemaker_mirror.is_package_event(raw):
            return self._package_decided(raw)
        detail_type = raw.get("detail-type") if isinstance(raw, dict) else None
        if detail_type not in items.HANDLED:
            LOG.info(json.dumps({"event": raw.get("id") if isinstance(raw, dict) else None,
                                 "ignored": detail_type}))
            return {"ignored": detail_type, "applied": [], "skipped": []}
        try:
            event = items.parse_event(raw)
            writes = items.run_writes(event)
        except items.BadEvent as error:
            LOG.error(json.dumps({"event": raw.get("id"), "dropped": str(error)}))
            return {"dropped": str(error), "applied": [], "skipped": []}
        done = {"event": event.id, "type": event.detail_type, "applied": [], "skipped": []}
        for write in writes:
            self._apply(write, done)
        origin = raw.get("account")
        if self.account and origin and origin != self.account:
            # Forwarded from an account this one delivers to (its bus rule; an event's `account` is
            # where it occurred: EventBridge Events Reference, "Event structure"): the run is recorded
            # here for the delivery account's view; its versions and pointers are that account's.
            done["forwarded_from"] = origin
            LOG.info(json.dumps(done))
            return done
        if event.detail_type == "ModelRegistered":
            self._registered(event, done)
        elif event.detail_type == "DeploymentStarted":
            self._deployment_started(event, done)
        elif event.detail_type in items.DEPLOY_OUTCOMES:
            self._deployment_ended(event, done)
        LOG.info(json.dumps(done))
        return done

    # ------------------------------------------------------------------ per event

    def _registered(self, event: items.Event, done: dict) -> None:
        pointers = self._get(event.model, items.pointers_sk(event.environment)) or {}
        commit = items.code_commit(event.run_id, pointers.get("commit"))
        write = items.registered_version_write(event, commit)
        if write:
            self._apply(write, done)
        if event.detail.get("approval") == items.APPROVED and items.releases_on_approval(pointers):
            model_data = event.detail.get("model_data")
            self._apply(items.approved_pointer_write(event, items.registered_version(event),
                                                    model_data if isinstance(model_data, str) else None), done)

    def _deployment_started(self, event: items.Event, done: dict) -> None:
        version = event.detail["version"]
        self._apply(items.version_deployment_write(event, version, items.DEPLOYING, event.order(0)), done)
        # The run's end may have been delivered first: apply it to the version now, with its order.
        run = self._get(event.model, items.run_sk(event.environment, event.pipeline, event.run_id)) or {}
        outcome = run.get("outcome")
        if outcome and outcome != items.DEPLOYING and run.get("finished_order"):
            self._apply(items.version_deployment_write(event, version, outcome, run["finished_order"]), done)

    def _deployment_ended(self, event: items.Event, done: dict) -> None:
        outcome = items.DEPLOY_OUTCOMES[event.detail_type]
        version = event.detail.get("version") or self._deployed_version(event)
        if not version:
            done["version"] = None  # failed before taking the lock (or its start is still on its way)
            return
        self._apply(items.version_deployment_write(event, version, outcome, event.order(1)), done)
        if outcome != items.DEPLOYED:
            return
        self._apply(items.version_deployed_at_write(event, version), done)
        found = self._get(event.model, items.version_sk(event.environment, version))
        if found is None:
            LOG.error(json.dumps({"event": event.id, "problem": f"deployed version {version} has no item"}))
            return
        self._apply(items.approved_pointer_write(event, version, found.get("model_data")), done)

    def _deployed_version(self, event: items.Event) -> Optional[str]:
        run = self._get(event.model, items.run_sk(event.environment, event.pipeline, event.run_id)) or {}
        if run.get("version"):
            return run["version"]
        lock = self._get(event.model, items.deployment_sk(event.environment)) or {}
        return lock.get("version") if lock.get("execution") == event.execution else None

    # ------------------------------------------------------------------ SageMaker Model Registry

    def _package_decided(self, raw: dict) -> dict:
        """A model package version's approval changed in SageMaker (compiler.registry.sagemaker_mirror):
        record it on the version, as `mlopsc registry approve/reject` would, and release an approved
        version of a model without a deploy pipeline. The version that serves is not rejected here
        (mlopsc refuses that too: roll back first); the disagreement is logged."""
        done = {"event": raw.get("id"), "type": sagemaker_mirror.DETAIL_TYPE, "applied": [], "skipped": []}
        try:
            found = sagemaker_mirror.decision(raw)
        except items.BadEvent as error:
            LOG.error(json.dumps({"event": raw.get("id"), "dropped": str(error)}))
            return {**done, "dropped": str(error)}
        if found is None:
            LOG.info(json.dumps({**done, "ignored": "no decision"}))
            return {**done, "ignored": "no decision"}
        pointers = self._get(found.model, items.pointers_sk(found.environment)) or {}
        if found.approval == items.REJECTED and pointers.get("approved_version") == found.version:
            LOG.error(json.dumps({**done, "problem": f"version {found.version} serves: rejected in SageMaker, "
                                  "kept approved in the registry (roll back first)"}))
            done["skipped"].append(f"rejected {found.version} in SageMaker: it serves")
            return done
        self._apply(sagemaker_mirror.decision_write(found), done)
        if found.approval == items.APPROVED and done["applied"] and items.releases_on_approval(pointers):
            version = self._get(found.model, items.version_sk(found.environment, found.version)) or {}
            self._apply(items.pointer_write(found.model, found.environment, found.version, version.get("model_data"),
                                            version.get("execution", ""), found.time, found.order()), done)
        LOG.info(json.dumps(done))
        return done

    # ------------------------------------------------------------------ DynamoDB

    def _get(self, model: str, sk: str) -> Optional[dict]:
        found = self.dynamodb.get_item(TableName=self.table, Key=items.to_item(items.key(model, sk)),
                                       ConsistentRead=True)
        return items.from_item(found.get("Item"))

    def _apply(self, write: items.Write, done: dict) -> None:
        try:
            self.dynamodb.update_item(**write.request(self.table))
        except Exception as error:  # noqa: BLE001 - only a failed condition is expected
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code != "ConditionalCheckFailedException":
                raise
            done["skipped"].append(write.why)
            return
        done["applied"].append(write.why)
