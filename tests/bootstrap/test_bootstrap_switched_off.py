"""`mlopsc bootstrap model` agrees with a pipeline switched off in one environment: prod's roles
get nothing of its retrain pipeline (no Fargate tasks, no task log group), while prod's apply role
may still delete what an earlier apply created for it (compiler/apply/resources.py)."""

from __future__ import annotations

import json

from compile_helpers import SAMPLES_PLATFORM, invoke, make_repo

CONFIG = """\
version: 1
model: {name: switch-model}
runtimes: {app: {dockerfile: Dockerfile}}
stage_defaults: {runtime: app}
pipelines:
  retrain:
    data: {source: "s3://acme-ml-data/switch/raw/"}
    triggers: {schedule: "rate(1 day)"}
    stages: {train: {command: [python, train.py]}}
  deploy: {target: sagemaker-endpoint, runtime: app}
environments:
  staging: {}
  prod:
    pipelines:
      retrain: {enabled: false}
"""


def test_prod_roles_have_nothing_of_its_switched_off_retrain(tmp_path):
    repo = make_repo(tmp_path, "switch", CONFIG)
    result = invoke("bootstrap", "model", str(repo), "--platform", str(SAMPLES_PLATFORM))
    assert result.exit_code == 0, result.output
    resources = json.loads(result.stdout)["Resources"]
    assert "StagingTasksLogGroup" in resources and "ProdTasksLogGroup" not in resources
    prod_roles = json.dumps([resources["ProdPipelinePolicy"], resources["ProdTaskPolicy"]])
    staging_roles = json.dumps([resources["StagingPipelinePolicy"], resources["StagingTaskPolicy"]])
    assert "switch-model-staging-retrain-train" in staging_roles and "acme-ml-data/switch/raw" in staging_roles
    assert "retrain" not in prod_roles and "acme-ml-data" not in prod_roles
    apply_role = resources["ProdApplyRolePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (machines,) = [s for s in apply_role if s.get("Sid") == "StateMachines"]
    assert "states:DeleteStateMachine" in machines["Action"] and "states:ListExecutions" in machines["Action"]
    assert "arn:aws:states:eu-west-1:111111111111:stateMachine:switch-model-prod-retrain" in machines["Resource"]
