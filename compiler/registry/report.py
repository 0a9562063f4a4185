"""What `mlopsc registry report` shows, gathered from one environment's registry as plain data
(report_html.py draws it). Reads only what the items already record (docs/registry.md, Registry
items): VERSION items (metrics, approval, deployment state), RUN items of retrain and deploy,
DRIFT items, the approved pointer, and the gate of the compiled retrain pipeline (gate.py).

Two things are derived rather than recorded, each the way the registry itself decides it:

- **the live version over time**: the approved pointer moves to a version when its deployment
  succeeds (items.approved_pointer_write), so each succeeded deployment, in the order it finished,
  is a step; a model without a deploy pipeline is released on approval, and only its current
  pointer is known (`approved_at`).
- **rollbacks**: a deployment the deploy pipeline rolled back (outcome `rolled_back`), and a
  succeeded deployment of a version registered before the one it replaced (what `mlopsc registry
  rollback` deploys: an earlier approved version, without retraining).

Times are kept as recorded (ISO 8601 UTC); lists are oldest first; nothing depends on the clock,
so the same registry gives the same report.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional

from compiler.registry import items


def collect(registry) -> dict:
    """The report's data for an `EnvironmentRegistry` (store.py)."""
    place = registry.place
    pointers = registry.pointers()
    live = pointers.get("approved_version")
    retrains = [_retrain(run) for run in reversed(registry.runs("retrain"))]
    drift_started = {run["version"]: run["drift_alarm"] for run in retrains if run["version"] and run["drift_alarm"]}
    versions = [_version(found, live, drift_started) for found in
                sorted(registry.versions(), key=lambda v: (v.get("registered_at", ""), v["version"]))]
    registered = {version["version"]: index for index, version in enumerate(versions)}
    deployments = _deployments(reversed(registry.deployments()), registered)
    return {
        "model": place.model,
        "environment": place.environment,
        "live_version": live,
        "gate": [{"metric": t.metric, "comparison": t.comparison, "threshold": t.value, "text": t.text}
                 for t in place.gate],
        "metrics": _metric_names(versions, place.gate),
        "versions": versions,
        "retrains": retrains,
        "drift_alarms": [_drift(found) for found in reversed(registry.drift_alarms())],
        "deployments": deployments,
        "live_history": _live_history(deployments, pointers),
    }


def flat_metrics(metrics: Any, prefix: str = "") -> dict:
    """The numbers of a metrics.json, nested objects flattened with dots (`regression_metrics.mse.value`,
    as a gate names them); strings, booleans and lists are not plotted."""
    if not isinstance(metrics, dict):
        return {}
    found = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found.update(flat_metrics(value, name + "."))
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            found[name] = value
    return found


def _version(found: dict, live: Optional[str], drift_started: dict) -> dict:
    approval = found.get("approval", items.PENDING)
    return {
        "version": found["version"],
        "registered_at": found.get("registered_at"),
        "approval": approval,
        "approved_by": found.get("approved_by") or found.get("rejected_by"),
        "reason": found.get("reason"),
        "deployment_status": found.get("deployment_status"),
        "promoted_from": found.get("promoted_from"),
        "metrics": flat_metrics(found.get("metrics")),
        "live": found["version"] == live,
        "drift_alarm": drift_started.get(found["version"]),
    }


def _metric_names(versions: list, gate: tuple) -> list:
    """Every metric some version recorded: the gate's first, in its order, then the others by name."""
    recorded = {name for version in versions for name in version["metrics"]}
    gated = list(dict.fromkeys(t.metric for t in gate if t.metric in recorded))
    return gated + sorted(recorded - set(gated))


def _retrain(run: dict) -> dict:
    return {"run_id": run["run_id"], "started_at": run.get("started_at") or run.get("finished_at"),
            "status": run.get("status"), "version": run.get("version"), "drift_alarm": run.get("drift_alarm"),
            "live_version": run.get("live_version"), "error": run.get("error"), "failed_stage": run.get("failed_stage")}


def _drift(found: dict) -> dict:
    return {key: found.get(key) for key in ("alarm", "detected_at", "live_version", "window", "execution")}


def _deployments(runs, registered: dict) -> list:
    """Deploy runs oldest first, each with `rollback`: why it is one, or None."""
    found, serving = [], None
    for run in sorted(runs, key=lambda r: (r.get("finished_at") or r.get("started_at") or "", r["run_id"])):
        outcome = run.get("outcome") or run.get("status")
        version = run.get("version")
        rollback = None
        if outcome == "rolled_back":
            rollback = "the deploy pipeline rolled it back"
        elif outcome == items.DEPLOYED and _older(version, serving, registered):
            rollback = f"back from {serving}"
        found.append({"run_id": run["run_id"], "version": version, "started_at": run.get("started_at"),
                      "finished_at": run.get("finished_at"), "outcome": outcome, "error": run.get("error"),
                      "replaced": serving if outcome == items.DEPLOYED else None, "rollback": rollback})
        if outcome == items.DEPLOYED:
            serving = version
    return found


def _older(version: Optional[str], serving: Optional[str], registered: dict) -> bool:
    """`version` was registered before `serving` (both known here)."""
    return (version in registered and serving in registered and version != serving
            and registered[version] < registered[serving])


def _live_history(deployments: list, pointers: dict) -> list:
    steps = [{"at": run["finished_at"], "version": run["version"]} for run in deployments
             if run["outcome"] == items.DEPLOYED and run["finished_at"]]
    if not steps and pointers.get("approved_version") and pointers.get("approved_at"):
        steps = [{"at": pointers["approved_at"], "version": pointers["approved_version"]}]
    return steps
