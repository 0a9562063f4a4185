"""drift.asl.json: the model's own drift job, on a schedule, against the live version's baseline."""

from __future__ import annotations

from compiler.render.asl.jinja_templates import render
from compiler.render.asl.monitoring_schedule import DRIFT_WINDOW_HOURS
from compiler.render.asl.shared_states import (
    BOOKKEEPING_SECONDS, LIVE_VERSION, RUN_STARTED, VERSION_BASELINE, base_context, container_step, failure_chain,
    live_version, pointers_check, put_event, stage_timeout)
from compiler.render.naming import Naming, states_format


def definition(naming: Naming) -> dict:
    """The model's own drift job (any target; ModelConfig.uses_model_monitor), on a schedule: find
    the version that serves, then run the job against what was captured and that version's
    baseline. Nothing deployed: the run ends before it is announced. The job reads the hour folders
    under MLOPS_CAPTURE_URI (a SageMaker endpoint's own capture files too: Naming.captured_requests_uri),
    the last MLOPS_DRIFT_WINDOW_HOURS of them, and publishes the drift distances to CloudWatch
    (`MLOPS_METRICS_NAMESPACE`), where the monitor's alarms watch them."""
    config = naming.config
    job = config.drift_job
    captured = naming.captured_requests_uri
    extra = {"MLOPS_CAPTURE_URI": captured, "MLOPS_BASELINE_URI": VERSION_BASELINE,
             "MLOPS_METRICS_NAMESPACE": naming.metrics_namespace, "MLOPS_MODEL_VERSION": "$.live.version",
             "MLOPS_DRIFT_WINDOW_HOURS": str(DRIFT_WINDOW_HOURS[config.monitor.drift.schedule])}
    step = container_step(naming, "drift", job, captured, None, extra)
    step["next"] = "Publish drift checked"
    task_keys = [f"drift-{job.name}"] if job.compute == "fargate" else []
    return render("drift.asl.json.j2", {
        **base_context(naming, "drift", f"Drift of {config.name} ({config.environment}), {config.monitor.drift.schedule}: "
                       f"the captured requests against the live version's baseline"),
        "timeout": stage_timeout(job) * (1 + job.retry.max_attempts) + BOOKKEEPING_SECONDS,
        "pointers": pointers_check(naming, "drift", [job.runtime], task_keys, LIVE_VERSION),
        "live": live_version(naming, "Read live version", "Nothing deployed"),
        "read_version": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                         "Key": {"pk": {"S": naming.model_key},
                                 "sk": {"S.$": states_format(naming.version_key_prefix() + "{}", "$.live.version")}}},
        "has_baseline": {"And": [{"Variable": "$.model_version.Item", "IsPresent": True},
                                 {"Variable": VERSION_BASELINE, "IsPresent": True}], "Next": RUN_STARTED},
        "baseline_missing": failure_chain(naming, "drift", "baseline missing", "BaselineMissing",
                                          "The live version has no baseline_uri in the registry (it was registered before "
                                          "monitor.baseline was set): deploy a version retrained with the baseline stage.",
                                          "RunFailed"),
        "step": step,
        "checked_event": put_event(naming, "drift", "DriftChecked",
                                   {"version.$": "$.live.version", "baseline_uri.$": VERSION_BASELINE}),
    })
