"""What `mlopsc registry report` shows, gathered from one environment's registry as plain data
(report_html.py draws it). Reads only what the items already record (docs/registry.md, Registry
items): VERSION items (metrics, approval, deployment state), RUN items of retrain and deploy,
DRIFT items and the approved pointer. Each version's gate is the one it passed, as the retrain
pipeline recorded it (`gate`, compare.gate_of): a config change moves a threshold between versions,
and each version is drawn with its own.

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

from typing import Optional

from compiler.registry import items
from compiler.registry.compare import condition_text, flat_metrics, gate_of


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
        "gate": _latest_gate(versions),
        "earlier_gates": _earlier_gates(versions),
        "metrics": _metric_names(versions),
        "versions": versions,
        "retrains": retrains,
        "drift_alarms": [_drift(found) for found in reversed(registry.drift_alarms())],
        "deployments": deployments,
        "live_history": _live_history(deployments, pointers),
    }


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
        "gate": [_condition(c) for c in gate_of(found)],
        "live": found["version"] == live,
        "drift_alarm": drift_started.get(found["version"]),
    }


def _condition(condition: dict) -> dict:
    """One condition of a version's gate, with its text (`rmse < 12.5`, compare's symbols)."""
    return {"metric": condition["metric"], "comparison": condition["comparison"],
            "threshold": condition["threshold"], "text": f"{condition['metric']} {condition_text(condition)}"}


def _latest_gate(versions: list) -> list:
    """The gate of the newest version that records one ([] if none does: no retrain gate, or no
    version yet)."""
    return next((version["gate"] for version in reversed(versions) if version["gate"]), [])


def _earlier_gates(versions: list) -> list:
    """The gates older versions passed that differ from the newest: [{text, versions}], oldest
    first, so the summary says since when the current thresholds hold."""
    latest = _gate_text(_latest_gate(versions))
    found: dict = {}
    for version in versions:
        text = _gate_text(version["gate"])
        if text and text != latest:
            found.setdefault(text, []).append(version["version"])
    return [{"text": text, "versions": names} for text, names in found.items()]


def _gate_text(gate: list) -> str:
    return ", ".join(condition["text"] for condition in gate)


def _metric_names(versions: list) -> list:
    """Every metric some version recorded: the gated ones first (the newest gate's order, then
    metrics only earlier gates named), then the others by name."""
    recorded = {name for version in versions for name in version["metrics"]}
    gated = [c["metric"] for version in reversed(versions) for c in version["gate"] if c["metric"] in recorded]
    gated = list(dict.fromkeys(gated))
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
