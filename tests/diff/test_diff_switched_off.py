"""`mlopsc diff` between a config and the same config with a pipeline switched off in one
environment (`enabled: false`): the pipeline, its trigger rule and its pointers are shown removed
there, and the manifest names it; the other environment does not change."""

from __future__ import annotations

from compile_helpers import invoke, make_repo

CONFIG = """\
version: 1
model: {{name: switch-model}}
runtimes: {{app: {{dockerfile: Dockerfile}}}}
stage_defaults: {{runtime: app}}
pipelines:
  retrain:
    data: {{source: "s3://acme-ml-data/switch/raw/"}}
    triggers: {{schedule: "rate(1 day)"}}
    stages: {{train: {{command: [python, train.py]}}}}
  deploy: {{target: sagemaker-endpoint, runtime: app}}
environments:
  staging: {{}}
  prod:
    pipelines:
      retrain: {{enabled: {enabled}}}
"""


def test_diff_shows_a_switched_off_pipeline_removed(tmp_path):
    before = make_repo(tmp_path, "before", CONFIG.format(enabled="true"))
    after = make_repo(tmp_path, "after", CONFIG.format(enabled="false"))
    result = invoke("diff", str(before), str(after), "--platform", str(tmp_path / "mlops-platform.yaml"))
    assert result.exit_code == 1, result.output
    assert "switch-model/prod: retrain (1 change)\n  - pipeline retrain removed" in result.output
    assert "rules[switch-model-prod-retrain-schedule]" in result.output
    assert '+ disabled = ["retrain"]' in result.output
    assert "switch-model/staging" not in result.output
