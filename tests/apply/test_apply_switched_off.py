"""apply removes the state machine of a pipeline switched off (`enabled: false`), but not while
one of its executions runs: DeleteStateMachine stops running executions at their next state
transition (Step Functions API reference, DeleteStateMachine). The moto server here does not
execute state machines, so a retrain run started here stays RUNNING until stopped."""

from __future__ import annotations

import yaml

from moto_aws import aws, create_platform, moto_server  # noqa: F401 - fixtures
from test_apply import COMMIT_B, actions, compile_into, editable_sample, images_file, run_apply

RETRAIN = "churn-fargate-default-retrain"


def test_a_switched_off_pipeline_is_removed_once_nothing_of_it_runs(aws, tmp_path):
    repository, out = editable_sample(tmp_path, "churn-fargate")
    create_platform(aws, out)
    images = images_file(out, tmp_path / "images.json")
    assert run_apply(out, images).failure is None
    sfn = aws.client("stepfunctions")
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == RETRAIN)
    sfn.start_execution(stateMachineArn=arn, name="manual-1")  # as `mlopsc run retrain` would
    (running,) = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]

    config = yaml.safe_load((repository / "mlops.yaml").read_text())
    config["pipelines"]["retrain"]["enabled"] = False
    (repository / "mlops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    compile_into(out, repository)
    kept = run_apply(out, images, commit=COMMIT_B, time=200)

    assert kept.failure is None and not kept.kept
    assert actions(kept, "state machine")[("state machine", RETRAIN)] == "skip"
    (change,) = [c for p in kept.plans for c in p.changes if c.name == RETRAIN]
    assert running["name"] in change.details[0] and "apply again" in change.details[0]
    assert RETRAIN in [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    rules = actions(kept, "rule")
    assert rules[("rule", f"{RETRAIN}-schedule")] == "delete"

    sfn.stop_execution(executionArn=running["executionArn"])
    removed = run_apply(out, images, commit="c" * 40, time=300)

    assert removed.failure is None
    assert actions(removed, "state machine") == {("state machine", "churn-fargate-default-batch"): "unchanged",
                                                 ("state machine", RETRAIN): "delete"}
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["churn-fargate-default-batch"]
