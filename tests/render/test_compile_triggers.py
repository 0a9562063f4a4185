"""triggers.json: the new-data rule matches every object under the prefix, or, with a
marker, only that object name (one run per delivered batch); wildcard characters in the
prefix are escaped so they match literally."""

import json

import pytest

from compile_helpers import invoke


def _config(new_data: str) -> str:
    return f"""\
version: 1
model: {{name: trig-model}}
platform:
  account: "111111111111"
  region: eu-west-1
  artifact_bucket: artifacts-bucket
  registry_table: registry
  notification_topic: arn:aws:sns:eu-west-1:111111111111:alerts
  roles: {{pipeline: "arn:aws:iam::111111111111:role/p", task: "arn:aws:iam::111111111111:role/t"}}
runtimes: {{app: {{dockerfile: Dockerfile}}}}
stage_defaults: {{runtime: app, compute: sagemaker}}
pipelines:
  retrain:
    data: {{source: "s3://data-bucket/raw/"}}
    triggers:
      new_data: {new_data}
    stages:
      train: {{}}
"""


def _data_rule(tmp_path, new_data: str) -> dict:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "repo" / "mlops.yaml").write_text(_config(new_data))
    result = invoke("compile", str(tmp_path / "repo"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    triggers = json.loads((tmp_path / "out" / "trig-model" / "default" / "triggers.json").read_text())
    (rule,) = [r for r in triggers["rules"] if r["Name"].endswith("-data")]
    return json.loads(rule["EventPattern"])


def test_without_a_marker_every_object_under_the_prefix_starts_a_run(tmp_path):
    pattern = _data_rule(tmp_path, "{}")
    assert pattern["detail"] == {"bucket": {"name": ["data-bucket"]}, "object": {"key": [{"prefix": "raw/"}]}}


def test_with_a_marker_only_that_object_starts_a_run(tmp_path):
    pattern = _data_rule(tmp_path, '{prefix: "s3://data-bucket/exports", marker: _SUCCESS}')
    assert pattern["detail"]["object"]["key"] == [{"wildcard": "exports/_SUCCESS"}, {"wildcard": "exports/*/_SUCCESS"}]


def test_wildcard_characters_in_the_prefix_match_literally(tmp_path):
    pattern = _data_rule(tmp_path, '{prefix: "s3://data-bucket/we*ird\\\\path/", marker: done.json}')
    # The prefix is we*ird\path/ (YAML unescapes the doubled backslash); EventBridge needs \* and \\.
    assert pattern["detail"]["object"]["key"][0] == {"wildcard": r"we\*ird\\path/done.json"}


def test_a_marker_with_a_slash_is_refused(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "mlops.yaml").write_text(_config("{marker: a/_SUCCESS}"))
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "mlops.yaml:16:" in result.output and "pipelines.retrain.triggers.new_data.marker" in result.output
    assert "without '/'" in result.output


def _data_rules(tmp_path, new_data: str) -> dict:
    """The whole compiled `-data` rule (pattern, description, target), for comparing two spellings."""
    (tmp_path / "repo").mkdir(parents=True)
    (tmp_path / "repo" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "repo" / "mlops.yaml").write_text(_config(new_data))
    result = invoke("compile", str(tmp_path / "repo"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    triggers = json.loads((tmp_path / "out" / "trig-model" / "default" / "triggers.json").read_text())
    return [r for r in triggers["rules"] if r["Name"].endswith("-data")]


@pytest.mark.parametrize("marker", ["", ", marker: _SUCCESS"])
def test_a_key_prefix_renders_the_rule_of_its_s3_uri(tmp_path, marker):
    """`prefix: churn/landing/` is a key prefix in the data source's bucket (S3 user guide,
    "Organizing objects using prefixes"; EventBridge's `prefix` filter on object.key): the same
    rule as `s3://data-bucket/churn/landing/`."""
    as_key = _data_rules(tmp_path / "key", "{prefix: churn/landing/" + marker + "}")
    as_uri = _data_rules(tmp_path / "uri", '{prefix: "s3://data-bucket/churn/landing/"' + marker + "}")
    assert as_key == as_uri and len(as_key) == 1
    detail = json.loads(as_key[0]["EventPattern"])["detail"]
    assert detail["bucket"] == {"name": ["data-bucket"]}
    assert detail["object"]["key"][0] in ({"prefix": "churn/landing/"}, {"wildcard": "churn/landing/_SUCCESS"})


@pytest.mark.parametrize("prefix", ['"/churn/landing/"', '"s3://Bad_Bucket/x/"', '"churn landing/"', '""', '"s3:/x"'])
def test_a_prefix_neither_key_nor_uri_is_refused_with_both_spellings_in_the_hint(tmp_path, prefix):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "mlops.yaml").write_text(_config("{prefix: " + prefix + "}"))
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "mlops.yaml:16:" in result.output and "pipelines.retrain.triggers.new_data.prefix" in result.output
    assert "churn/landing/" in result.output and "s3://my-bucket/path/" in result.output
