"""The registry's items: keys, attributes, and the conditional writes that keep them right when
writers race and events arrive twice or out of order (docs/registry.md, Registry items).

Standard library only (the Lambda handler imports this module). Writes are built as data
(`Write`) and sent by the caller with DynamoDB's low-level `UpdateItem`.

Every item of a model lives under `pk = MODEL#<model>`:

- `POINTERS#<env>`: apply's artifact pointers; the registry owns `approved_version`,
  `approved_model_data`, `approved_execution`, `approved_at`, `approved_order`.
- `VERSION#<env>#<version>`: written once by the retrain pipeline; the registry adds approval
  (`approved_by`/`approved_at`, `rejected_by`/`rejected_at`, `reason`), `code_commit`, promotion
  (`promoted_from`) and deployment state (`deployment_status`, `deployment_execution`,
  `deployment_order`, `last_deployed_at`).
- `DEPLOYMENT#<env>`: the deploy pipeline's lock and last outcome (the registry only reads it).
- `DRIFT#<env>#<window>`: written once by a drift-started retrain run, the first of its cool-down
  window (`<window>`: the UTC date, or date and hour, `2026-11-26T01`): `alarm`, `live_version`
  (the version that served when drift was detected, `none` if none did), `detected_at`,
  `execution`, `window`, `cooldown`. A later run of the same window finds it and starts nothing.
- `RUN#<env>#<pipeline>#<run id>`: one execution: `status` (running, succeeded, failed),
  `started_at`, `finished_at`, `stage_<name>` ({status, at, error}), `error`, `what`, and for
  retrain the registered `version` (and, started by drift, `drift_alarm` and `live_version`);
  for deploy the `version`, `target` and `outcome`; for drift the `version` it checked.

How writes stay right:

- Run status only moves forward: `running` may become `succeeded`/`failed`, a finished run never
  changes again (a late StageSucceeded records the stage, not a reopened run). `status` is set
  with `if_not_exists`, so a stage event that overtakes RunStarted makes the run `running`.
- Facts recorded once (a stage's outcome, `started_at`) are written with `attribute_not_exists`.
- State that changes many times (a version's deployment state, the approved pointer) carries an
  *order key*, `<event time>#<rank>#<event id>`: a write lands only when its key is greater than
  the stored one. EventBridge's `time` has whole seconds; the rank puts a deployment's end after
  its start within one second; the event id makes the order total, so every delivery order ends
  in the same state.
- A redelivered event (same id) builds the same writes: each one's condition fails (or it writes
  the values already there), so nothing changes.
- People's writes (approve, reject, promote) are conditional on the approval they expect
  (`approval = pending`), so two people approving at once get one success and one refusal.
"""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from typing import Any, Iterable, Mapping, Optional

# --------------------------------------------------------------------------- keys

def model_key(model: str) -> str:
    return f"MODEL#{model}"


def pointers_sk(environment: str) -> str:
    return f"POINTERS#{environment}"


def version_sk(environment: str, version: str) -> str:
    return f"VERSION#{environment}#{version}"


def version_prefix(environment: str) -> str:
    return f"VERSION#{environment}#"


def deployment_sk(environment: str) -> str:
    return f"DEPLOYMENT#{environment}"


def run_sk(environment: str, pipeline: str, run_id: str) -> str:
    return f"RUN#{environment}#{pipeline}#{run_id}"


def drift_prefix(environment: str) -> str:
    """Keys of the DRIFT items, one per cool-down window (the pipeline writes them)."""
    return f"DRIFT#{environment}#"


def run_prefix(environment: str, pipeline: Optional[str] = None) -> str:
    return f"RUN#{environment}#" + (f"{pipeline}#" if pipeline else "")


def key(model: str, sk: str) -> dict:
    return {"pk": model_key(model), "sk": sk}


# --------------------------------------------------------------------------- values

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
DEPLOYING, DEPLOYED = "deploying", "deployed"
#: The deploy pipeline's failure events -> the outcome recorded (as the DEPLOYMENT lock names them).
DEPLOY_OUTCOMES = {"DeploymentSucceeded": DEPLOYED, "DeploymentFailed": "failed",
                   "DeploymentTimedOut": "timed_out", "DeploymentRolledBack": "rolled_back"}
#: Events that end a run, and the run's status then. The batch pipeline's StageSucceeded ends it too
#: (its one stage is its last state before success); retrain's last is ModelRegistered, drift's
#: DriftChecked.
TERMINAL = {"RunFailed": FAILED, "StageFailed": FAILED, "GateFailed": FAILED, "ModelRegistered": SUCCEEDED,
            "DeploymentSucceeded": SUCCEEDED, "DeploymentFailed": FAILED, "DeploymentTimedOut": FAILED,
            "DeploymentRolledBack": FAILED, "DriftChecked": SUCCEEDED}
#: Events the handler records; others (ModelApproved, ModelRejected: written by `mlopsc registry`
#: itself) are acknowledged and ignored. DriftDetected opens a drift-started retrain run, before
#: its RunStarted.
HANDLED = frozenset(TERMINAL) | {"RunStarted", "StageSucceeded", "DeploymentStarted", "DriftDetected"}
#: apply names on-commit runs `commit-<12 hex of the sha>-<fingerprint>`.
COMMIT_RUN = re.compile(r"^commit-(?P<sha>[0-9a-f]{7,40})-[0-9a-f]+$")
STAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
#: Attributes of a version item that belong to one environment's registry state, not to the
#: model version itself: a promotion does not copy them.
ENVIRONMENT_STATE = ("approval", "approved_by", "approved_at", "rejected_by", "rejected_at", "reason",
                     "deployment_status", "deployment_execution", "deployment_order", "last_deployed_at",
                     "promoted_from", "promoted_by", "promoted_at",
                     "model_package_arn")  # register.sagemaker: a package of the source environment's group


def stage_attribute(stage: str) -> str:
    return f"stage_{stage}"


def order_key(time: str, rank: int, event_id: str) -> str:
    """Orders two events: by time (whole seconds), then rank (a start before an end), then id."""
    return f"{time}#{rank}#{event_id}"


# --------------------------------------------------------------------------- DynamoDB's typed values

def to_attribute(value: Any) -> dict:
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attribute(v) for v in value]}
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def from_attribute(value: Mapping) -> Any:
    (kind, inner), = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attribute(v) for k, v in inner.items()}
    if kind == "L":
        return [from_attribute(v) for v in inner]
    if kind == "SS":
        return sorted(inner)
    return inner


def from_item(item: Optional[Mapping]) -> Optional[dict]:
    return None if item is None else {k: from_attribute(v) for k, v in item.items()}


def to_item(values: Mapping) -> dict:
    return {k: to_attribute(v) for k, v in values.items()}


# --------------------------------------------------------------------------- writes

@dataclasses.dataclass(frozen=True)
class Write:
    """One conditional UpdateItem. `why` names it in logs and test messages."""

    why: str
    key: Mapping[str, str]
    update: str
    condition: Optional[str]
    names: Mapping[str, str]
    values: Mapping[str, Any]

    def request(self, table: str) -> dict:
        request = {"TableName": table, "Key": to_item(self.key), "UpdateExpression": self.update,
                   "ExpressionAttributeNames": dict(self.names)}
        if self.values:
            request["ExpressionAttributeValues"] = to_item(self.values)
        if self.condition:
            request["ConditionExpression"] = self.condition
        return request


def update(why: str, item_key: Mapping[str, str], set_values: Mapping[str, Any],
           if_absent: Mapping[str, Any] = None, condition: Optional[str] = None,
           names: Mapping[str, str] = None, values: Mapping[str, Any] = None) -> Write:
    """SET each of `set_values`, and each of `if_absent` only where the item has no such attribute.
    `condition` uses its own placeholders, given in `names` and `values`."""
    all_names, all_values, parts = dict(names or {}), dict(values or {}), []
    for index, (attribute, value) in enumerate(sorted(set_values.items())):
        all_names[f"#s{index}"], all_values[f":s{index}"] = attribute, value
        parts.append(f"#s{index} = :s{index}")
    for index, (attribute, value) in enumerate(sorted((if_absent or {}).items())):
        all_names[f"#f{index}"], all_values[f":f{index}"] = attribute, value
        parts.append(f"#f{index} = if_not_exists(#f{index}, :f{index})")
    return Write(why, dict(item_key), "SET " + ", ".join(parts), condition, all_names, all_values)


#: A run that has not finished (or whose item does not exist yet).
RUN_OPEN = ("attribute_not_exists(#status) OR #status = :running", {"#status": "status"}, {":running": RUNNING})


def later(attribute: str, order: str, extra: str = "") -> tuple:
    """Condition: the item's `attribute` (an order key) is absent or older than `order`."""
    condition = f"(attribute_not_exists(#order) OR #order < :order)" + (f" AND {extra}" if extra else "")
    return condition, {"#order": attribute}, {":order": order}


# --------------------------------------------------------------------------- events

class BadEvent(ValueError):
    """An event the handler cannot read: logged and dropped (redelivering it would not help)."""


@dataclasses.dataclass(frozen=True)
class Event:
    id: str
    time: str
    detail_type: str
    model: str
    environment: str
    pipeline: str
    run_id: str
    execution: str
    detail: Mapping[str, Any]

    def order(self, rank: int) -> str:
        return order_key(self.time, rank, self.id)

    @property
    def run_key(self) -> dict:
        return key(self.model, run_sk(self.environment, self.pipeline, self.run_id))

    @property
    def identity(self) -> dict:
        return {"model": self.model, "environment": self.environment, "pipeline": self.pipeline,
                "run_id": self.run_id, "execution": self.execution}


def parse_event(raw: Mapping) -> Event:
    """An EventBridge event of a pipeline (source `mlops.<model>`), checked."""
    if not isinstance(raw, Mapping):
        raise BadEvent("the event is not an object")
    detail = raw.get("detail")
    if not isinstance(detail, Mapping):
        raise BadEvent("the event has no detail object")
    fields = {name: detail.get(name) for name in ("model", "environment", "pipeline", "run_id", "execution")}
    for name, value in [("id", raw.get("id")), ("detail-type", raw.get("detail-type")), *fields.items()]:
        if not isinstance(value, str) or not value:
            raise BadEvent(f"the event has no {name}")
    for name in ("model", "environment", "pipeline", "run_id"):
        if not NAME.match(fields[name]) or "#" in fields[name]:
            raise BadEvent(f"the event's {name} {fields[name]!r} is not a name")
    if raw.get("source") != f"mlops.{fields['model']}":
        raise BadEvent(f"source {raw.get('source')!r} is not mlops.{fields['model']}")
    time = raw.get("time")
    if not isinstance(time, str) or not TIME.match(time):
        raise BadEvent(f"the event's time {time!r} is not an ISO 8601 UTC time")
    return Event(raw["id"], time, raw["detail-type"], fields["model"], fields["environment"], fields["pipeline"],
                 fields["run_id"], fields["execution"], dict(detail))


def failure_attributes(event: Event) -> dict:
    found = {}
    for name in ("error", "what", "running_execution"):
        if isinstance(event.detail.get(name), str):
            found[name] = event.detail[name]
    return found


def run_writes(event: Event) -> list[Write]:
    """What an event changes in its RUN item (the one write every handled event makes)."""
    kind = event.detail_type
    stage = event.detail.get("stage")
    if stage is not None and (not isinstance(stage, str) or not STAGE_NAME.match(stage)):
        raise BadEvent(f"stage {stage!r} is not a stage name")
    if kind == "RunStarted":
        return [update("run started", event.run_key, {**event.identity, "started_at": event.time},
                       if_absent={"status": RUNNING}, condition="attribute_not_exists(#started)",
                       names={"#started": "started_at"})]
    if kind == "DriftDetected":
        return [_drift_detected(event)]
    terminal = TERMINAL.get(kind) or (SUCCEEDED if kind == "StageSucceeded" and event.pipeline == "batch" else None)
    if kind == "DeploymentStarted":
        version = _version(event)
        return [update("deployment started", event.run_key,
                       {**event.identity, "version": version, "target": str(event.detail.get("target", ""))},
                       if_absent={"status": RUNNING, "outcome": DEPLOYING},
                       condition="attribute_not_exists(#version)", names={"#version": "version"})]
    if terminal is None:  # StageSucceeded of a stage that is not the run's last
        if kind != "StageSucceeded" or stage is None:
            raise BadEvent(f"{kind} without a stage")
        return [update(f"stage {stage} succeeded", event.run_key,
                       {**event.identity, stage_attribute(stage): {"status": SUCCEEDED, "at": event.time}},
                       if_absent={"status": RUNNING}, condition="attribute_not_exists(#stage)",
                       names={"#stage": stage_attribute(stage)})]
    values = {**event.identity, "status": terminal, "finished_at": event.time, "finished_order": event.order(1),
              "last_event": kind, **failure_attributes(event)}
    if stage is not None:
        outcome = {"status": SUCCEEDED if kind == "StageSucceeded" else FAILED, "at": event.time}
        if "error" in values:
            outcome["error"] = values["error"]
        values[stage_attribute(stage)] = outcome
        if terminal == FAILED:
            values["failed_stage"] = stage
    if kind == "ModelRegistered":
        values["version"] = _version(event)
        values["approval"] = str(event.detail.get("approval", PENDING))
    if kind == "DriftChecked":
        values["version"] = _version(event)
    if kind in DEPLOY_OUTCOMES:
        values["outcome"] = DEPLOY_OUTCOMES[kind]
        if "version" in event.detail:
            values["version"] = _version(event)
        if "target" in event.detail:
            values["target"] = str(event.detail["target"])
    condition, names, condition_values = RUN_OPEN
    return [update(f"run {terminal} ({kind})", event.run_key, values, condition=condition, names=names,
                   values=condition_values)]


def _drift_detected(event: Event) -> Write:
    """The alarm that started a retrain run and the version that served then (recorded once)."""
    alarm, live = event.detail.get("alarm"), event.detail.get("live_version")
    if not isinstance(alarm, str) or not isinstance(live, str):
        raise BadEvent("DriftDetected without its alarm and live version")
    return update("drift detected", event.run_key, {**event.identity, "drift_alarm": alarm, "live_version": live},
                  if_absent={"status": RUNNING}, condition="attribute_not_exists(#alarm)",
                  names={"#alarm": "drift_alarm"})


def registered_version(event: Event) -> str:
    """The version an event names (checked)."""
    return _version(event)


def _version(event: Event) -> str:
    version = event.detail.get("version")
    if not isinstance(version, str) or not NAME.match(version) or "#" in version:
        raise BadEvent(f"{event.detail_type} has no valid version ({version!r})")
    return version


def code_commit(run_id: str, pointers_commit: Optional[str]) -> Optional[str]:
    """The commit a version was built from, when it is known: on-commit runs carry its prefix in
    their name; the pointers' full sha is used when it starts with that prefix."""
    found = COMMIT_RUN.match(run_id)
    if not found:
        return None
    prefix = found["sha"]
    return pointers_commit if pointers_commit and pointers_commit.startswith(prefix) else prefix


def registered_version_write(event: Event, commit: Optional[str]) -> Optional[Write]:
    """ModelRegistered: the version item exists (the pipeline wrote it); add what only the registry
    knows: the code commit, and who approved it when approval is automatic."""
    if_absent = {}
    if commit:
        if_absent["code_commit"] = commit
    if event.detail.get("approval") == APPROVED:
        if_absent.update(approved_by="register.approval: automatic", approved_at=event.time)
    if not if_absent:
        return None
    return update("version registered", key(event.model, version_sk(event.environment, _version(event))), {},
                  if_absent=if_absent, condition="attribute_exists(pk)")


def version_deployment_write(event: Event, version: str, status: str, order: str) -> Write:
    """A version's deployment state in its environment: only a later event's state lands."""
    condition, names, values = later("deployment_order", order, "attribute_exists(pk)")
    return update(f"version {version} {status}", key(event.model, version_sk(event.environment, version)),
                  {"deployment_status": status, "deployment_execution": event.execution, "deployment_order": order},
                  condition=condition, names=names, values=values)


def version_deployed_at_write(event: Event, version: str) -> Write:
    return update(f"version {version} last deployed", key(event.model, version_sk(event.environment, version)),
                  {"last_deployed_at": event.time},
                  condition="attribute_exists(pk) AND (attribute_not_exists(#at) OR #at < :at)",
                  names={"#at": "last_deployed_at"}, values={":at": event.time})


def approved_pointer_write(event: Event, version: str, model_data: Optional[str]) -> Write:
    """The approved pointer moves when a deployment of `version` succeeds, to the latest such
    deployment: `approved_version` is what serves (and what deploy and batch use by default).
    A model without a deploy pipeline has nothing that serves: its pointer moves when a version
    is approved (automatic approval: ModelRegistered, here; `mlopsc registry approve`:
    `pointer_write`), which is what its batch pipeline scores with."""
    return pointer_write(event.model, event.environment, version, model_data, event.execution, event.time,
                         event.order(1))


def pointer_write(model: str, environment: str, version: str, model_data: Optional[str], execution: str,
                  at: str, order: str) -> Write:
    """The approved pointer -> `version`, unless a later move (by `order`) landed already."""
    condition, names, values = later("approved_order", order)
    fields = {"approved_version": version, "approved_execution": execution, "approved_at": at,
              "approved_order": order}
    if model_data:
        fields["approved_model_data"] = model_data
    return update(f"approved pointer -> {version}", key(model, pointers_sk(environment)), fields,
                  condition=condition, names=names, values=values)


def live_version_write(model: str, environment: str, version: str) -> Write:
    """The deployment item's `live_version` -> `version` (the winner of an A/B or shadow test),
    unless a deployment runs (it records its own when it ends)."""
    return update(f"live version -> {version}", key(model, deployment_sk(environment)), {"live_version": version},
                  condition="attribute_exists(#status) AND #status <> :deploying",
                  names={"#status": "status"}, values={":deploying": DEPLOYING})


def releases_on_approval(pointers: Mapping) -> bool:
    """Whether approving a version releases it (moves the approved pointer): a model whose
    pointers (apply's `settings.pipelines`) list no deploy pipeline."""
    pipelines = (pointers.get("settings") or {}).get("pipelines")
    return isinstance(pipelines, list) and "deploy" not in pipelines


# --------------------------------------------------------------------------- people's writes

def approval_write(model: str, environment: str, version: str, approval: str, who: str, when: str,
                   reason: Optional[str], expected: Iterable[str]) -> Write:
    """approve/reject: only from the approvals `expected` (pending, or approved for a revocation)."""
    expected = list(expected)
    placeholders = {f":e{index}": value for index, value in enumerate(expected)}
    condition = "attribute_exists(pk) AND #approval IN (" + ", ".join(placeholders) + ")"
    prefix = "approved" if approval == APPROVED else "rejected"
    values = {"approval": approval, f"{prefix}_by": who, f"{prefix}_at": when}
    if reason:
        values["reason"] = reason
    return update(f"{approval} {version}", key(model, version_sk(environment, version)), values,
                  condition=condition, names={"#approval": "approval"}, values=placeholders)


def promoted_item(source: Mapping, environment: str, who: str, when: str) -> dict:
    """The version item copied into another environment: the version's facts, approved there."""
    copied = {k: v for k, v in source.items() if k not in ENVIRONMENT_STATE}
    copied.update(sk=version_sk(environment, source["version"]), environment=environment, approval=APPROVED,
                  approved_by=who, approved_at=when, reason=f"promoted from {source['environment']}",
                  promoted_from=source["environment"], promoted_by=who, promoted_at=when)
    # The approval it had there, kept with it: who approved it, when, and why.
    copied["source_approval"] = {k: source[f] for k, f in (("by", "approved_by"), ("at", "approved_at"),
                                                          ("reason", "reason")) if source.get(f)}
    return copied


# --------------------------------------------------------------------------- reading

def run_view(item: Mapping) -> dict:
    """A RUN item as people and scripts read it: stages gathered under `stages`."""
    view = {k: v for k, v in item.items() if k not in ("pk", "sk") and not k.startswith("stage_")
            and k not in ("finished_order",)}
    view["stages"] = {k[len("stage_"):]: v for k, v in sorted(item.items()) if k.startswith("stage_")}
    return view


#: Version attributes the retrain pipeline writes as JSON strings (docs/registry.md, Version fields).
JSON_ATTRIBUTES = ("metrics", "hyperparameters", "tuned_hyperparameters", "gate")


def version_view(item: Mapping) -> dict:
    """A VERSION item as people and scripts read it: its JSON attributes parsed."""
    view = {k: v for k, v in item.items() if k not in ("pk", "sk", "deployment_order")}
    for attribute in JSON_ATTRIBUTES:
        if isinstance(view.get(attribute), str):
            try:
                view[attribute] = json.loads(view[attribute])
            except ValueError:
                pass
    return view
