"""Semantic rules about pipelines: tune, gate, deploy, batch and the new-data trigger. Each test
names the rule and the exact `file:line:col` and path. Appended stages start on line 26."""

import pytest

# A tune stage appended under `stages` (lines 26-29); its parameters follow from line 30.
TUNE = """\
      tune:
        runtime: app
        objective: {metric: auc, goal: maximize}
        parameters:
"""
TUNE_PATH = "pipelines.retrain.stages.tune"
# Deploy appended under `pipelines` (lines 26-28); its own settings follow from line 29.
DEPLOY = "  deploy:\n    target: {target}\n    runtime: app\n"
# Batch appended under `pipelines` (lines 26-29); mode and the rest follow from line 30.
BATCH = "  batch:\n    runtime: app\n    input: s3://demo-data/score/\n    output: {output}\n"


# --- tune ---------------------------------------------------------------------------------

def test_tune_valid(repo):
    out = repo.validate(append=TUNE + "          eta: {min: 0.01, max: 0.3, scaling: log}\n"
                                      "          depth: {min: 3, max: 10, type: integer}\n"
                                      "          booster: {values: [gbtree, dart]}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_tune_min_not_below_max(repo):
    # Rule: a range needs min < max; reported at max (line 30, col 32).
    out = repo.validate(append=TUNE + "          eta: {min: 0.3, max: 0.1}\n")
    problem = out.only("tune")
    assert (problem.where, problem.path) == ("mlops.yaml:30:32", f"{TUNE_PATH}.parameters.eta.max")
    assert problem.message == "max (0.1) must be greater than min (0.3)"


def test_tune_min_equal_to_max(repo):
    out = repo.validate(append=TUNE + "          eta: {min: 1, max: 1}\n")
    assert (out.only("tune").where, out.only("tune").path) == ("mlops.yaml:30:30", f"{TUNE_PATH}.parameters.eta.max")


def test_tune_log_scaling_needs_positive_min(repo):
    # Rule: logarithmic scaling needs min > 0; reported at min (line 30, col 22).
    out = repo.validate(append=TUNE + "          eta: {min: 0, max: 1, scaling: log}\n")
    problem = out.only("tune")
    assert (problem.where, problem.path) == ("mlops.yaml:30:22", f"{TUNE_PATH}.parameters.eta.min")
    assert problem.message == "logarithmic scaling needs min greater than 0"


def test_tune_grid_needs_categorical(repo):
    # Rule: grid search takes only {values: [...]} parameters; the range `eta` is at line 30, col 11.
    out = repo.validate(append=TUNE + "          eta: {min: 0.1, max: 1}\n        strategy: grid\n")
    problem = out.only("tune")
    assert (problem.where, problem.path) == ("mlops.yaml:30:11", f"{TUNE_PATH}.parameters.eta")
    assert problem.message == "grid search takes only categorical parameters; 'eta' is a range"


def test_tune_grid_takes_no_max_jobs(repo):
    out = repo.validate(append=TUNE + "          eta: {values: [0.1, 0.2]}\n        strategy: grid\n"
                                      "        max_jobs: 4\n")
    problem = out.only("tune")
    assert (problem.where, problem.path) == ("mlops.yaml:32:19", f"{TUNE_PATH}.max_jobs")


def test_tune_mixing_values_with_a_range(repo):
    # Rule: a parameter is either categorical or a range, not both (line 30, at the name).
    out = repo.validate(append=TUNE + "          eta: {min: 0.1, max: 1, values: [0.1, 0.2]}\n")
    problem = out.only("tune")
    assert (problem.where, problem.path) == ("mlops.yaml:30:11", f"{TUNE_PATH}.parameters.eta")
    assert problem.message == "parameter 'eta' mixes `values` with a range (max, min)"


def test_tune_range_needs_both_bounds(repo):
    out = repo.validate(append=TUNE + "          eta: {min: 0.1}\n")
    assert (out.only("tune").where, out.only("tune").message) == (
        "mlops.yaml:30:11", "parameter 'eta' needs both `min` and `max`, or `values`")


def test_tune_integer_needs_whole_bounds(repo):
    out = repo.validate(append=TUNE + "          depth: {min: 1.5, max: 4, type: integer}\n")
    assert (out.only("tune").where, out.only("tune").path, out.only("tune").message) == (
        "mlops.yaml:30:11", f"{TUNE_PATH}.parameters.depth", "an integer parameter needs whole-number bounds")


def test_tune_more_parallel_jobs_than_jobs(repo):
    out = repo.validate(append=TUNE + "          depth: {values: [1, 2]}\n        max_jobs: 2\n"
                                      "        max_parallel_jobs: 3\n")
    assert (out.only("tune").where, out.only("tune").path) == ("mlops.yaml:32:28", f"{TUNE_PATH}.max_parallel_jobs")


def test_tune_runs_on_sagemaker_only(repo):
    out = repo.validate(append=TUNE + "          depth: {values: [1, 2]}\n        compute: fargate\n")
    assert (out.only("stage-compute").where, out.only("stage-compute").path, out.only("stage-compute").message) == (
        "mlops.yaml:31:18", f"{TUNE_PATH}.compute", "the tune stage always runs as a SageMaker tuning job")


def test_tune_strategy_enum_did_you_mean(repo):
    out = repo.validate(append=TUNE + "          depth: {values: [1, 2]}\n        strategy: bayes\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:31:19", f"{TUNE_PATH}.strategy")
    assert problem.hint == "did you mean 'bayesian'?"


def test_tune_needs_an_objective(repo):
    # Rule: tune requires `objective`; reported at the tune stage's key (line 26).
    out = repo.validate(append="      tune:\n        parameters: {depth: {values: [1, 2]}}\n")
    problem = out.only("schema")
    assert (problem.where, problem.path, problem.message) == (
        "mlops.yaml:26:7", f"{TUNE_PATH}.objective", "missing required key 'objective'")


# --- gate ---------------------------------------------------------------------------------

GATE = "          - {metric: auc, at_least: 0.8}\n"
GATE_PATH = "pipelines.retrain.stages.evaluate.gate[0]"


def test_gate_with_two_comparators(repo):
    # Rule: a gate condition has exactly one comparator; the condition is at line 25, col 13.
    out = repo.validate(replace={GATE: "          - {metric: auc, at_least: 0.8, below: 0.99}\n"})
    problem = out.only("gate")
    assert (problem.where, problem.path) == ("mlops.yaml:25:13", GATE_PATH)
    assert problem.message == ("a gate condition needs exactly one of below, above, at_most, at_least "
                               "(found below, at_least)")
    assert problem.hint == "e.g. {metric: auc, below: 0.12}; write two conditions for a range"


def test_gate_without_a_comparator(repo):
    out = repo.validate(replace={GATE: "          - {metric: auc}\n"})
    problem = out.only("gate")
    assert (problem.where, problem.path) == ("mlops.yaml:25:13", GATE_PATH)
    assert problem.message.endswith("(found none)")


def test_gate_second_condition(repo):
    # The second condition (line 26) is gate[1].
    out = repo.validate(append="          - {metric: f1, above: 0.5, at_most: 0.9}\n")
    assert (out.only("gate").where, out.only("gate").path) == ("mlops.yaml:26:13", "pipelines.retrain.stages.evaluate.gate[1]")


def test_gate_comparator_typo(repo):
    # `atleast` is an unknown key (did you mean), and the condition then has no comparator.
    out = repo.validate(replace={GATE: "          - {metric: auc, atleast: 0.8}\n"})
    assert out.at(f"{GATE_PATH}.atleast", "schema").hint == "did you mean 'at_least'?"
    assert out.at(f"{GATE_PATH}.atleast", "schema").where == "mlops.yaml:25:27"
    assert out.at(GATE_PATH, "gate").message.endswith("(found none)")


# --- deploy -------------------------------------------------------------------------------

def test_deploy_block_for_another_target(repo):
    # Rule: `endpoint` configures sagemaker-endpoint; the target is lambda. Points at the key (line 29).
    out = repo.validate(append=DEPLOY.format(target="lambda") + "    endpoint: {instance_count: 1}\n")
    problem = out.only("deploy-target-block")
    assert (problem.where, problem.path) == ("mlops.yaml:29:5", "pipelines.deploy.endpoint")
    assert problem.message == "`endpoint` applies to target sagemaker-endpoint, not lambda"
    assert problem.hint == "target lambda is configured under `function`"


def test_deploy_target_enum(repo):
    out = repo.validate(append="  deploy:\n    target: lamda\n    runtime: app\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:27:13", "pipelines.deploy.target")
    assert problem.hint == "did you mean 'lambda'?"


def test_canary_without_alarms(repo):
    # Rule: shifting traffic gradually needs alarms to roll back; reported at mode (line 29, col 21).
    out = repo.validate(append=DEPLOY.format(target="lambda")
                        + "    traffic: {mode: canary, percent: 10, interval: 5m}\n")
    problem = out.only("deploy-traffic")
    assert (problem.where, problem.path) == ("mlops.yaml:29:21", "pipelines.deploy.traffic.mode")
    assert problem.message == "canary traffic without `alarms` can never roll back"


def test_canary_without_percent(repo):
    # Rule: canary needs percent, reported at the `traffic` key (line 29); the hint says the interval's default.
    out = repo.validate(append=DEPLOY.format(target="lambda") + "    traffic: {mode: canary, alarms: [errors]}\n")
    assert [(p.rule, p.where, p.path, p.message) for p in out.problems] == [
        ("deploy-traffic", "mlops.yaml:29:5", "pipelines.deploy.traffic.percent", "canary traffic needs `percent`"),
    ]
    assert "`interval` may be left out: it defaults to 15m" in out.problems[0].hint


@pytest.mark.parametrize("mode", ["canary", "linear"])
def test_canary_and_linear_without_interval_are_accepted(repo, mode):
    """The interval defaults to the rollback window (compiler/rollback.py), so it is not refused."""
    out = repo.validate(append=DEPLOY.format(target="lambda")
                        + f"    traffic: {{mode: {mode}, percent: 10, alarms: [errors]}}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_default_interval_longer_than_sagemaker_allows(repo):
    # 13 periods of 5 minutes: a default interval of 65m, past SageMaker's 1 hour; reported at mode (29:21).
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint")
                        + "    traffic: {mode: canary, percent: 10, alarms: [errors]}\n"
                        + "monitor:\n  health: {evaluation_periods: 13, max_error_rate: 0.05}\n")
    problem = out.only("deploy-traffic")
    assert (problem.where, problem.path) == ("mlops.yaml:29:21", "pipelines.deploy.traffic.mode")
    assert "65m" in problem.message and "1 hour" in problem.message


def test_linear_percent_must_divide_100(repo):
    # Rule: linear steps of 30% never reach 100%; percent is at line 29, col 38.
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint")
                        + "    traffic: {mode: linear, percent: 30, interval: 5m, alarms: [errors]}\n")
    problem = out.only("deploy-traffic")
    assert (problem.where, problem.path) == ("mlops.yaml:29:38", "pipelines.deploy.traffic.percent")
    assert problem.message == "linear steps of 30% do not add up to 100%"


def test_linear_percent_dividing_100_is_fine(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint")
                        + "    traffic: {mode: linear, percent: 25, interval: 5m, alarms: [errors]}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_autoscaling_min_above_max(repo):
    # Rule: autoscaling min <= max (min at line 30, col 23); instance_count 2 is then outside 4..2 too.
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint")
                        + "    endpoint:\n      autoscaling: {min: 4, max: 2}\n      instance_count: 3\n")
    problem = out.at("pipelines.deploy.endpoint.autoscaling.min", "endpoint-autoscaling")
    assert problem.where == "mlops.yaml:30:26"
    assert problem.message == "min (4) is above max (2)"
    assert out.at("pipelines.deploy.endpoint.instance_count", "endpoint-autoscaling").where == "mlops.yaml:31:23"


def test_instance_count_outside_autoscaling_range(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint")
                        + "    endpoint: {instance_count: 1, autoscaling: {min: 2, max: 4}}\n")
    problem = out.only("endpoint-autoscaling")
    assert (problem.where, problem.path) == ("mlops.yaml:29:32", "pipelines.deploy.endpoint.instance_count")
    assert problem.message == "instance_count 1 is outside autoscaling's range 2..4"


def test_lambda_timeout_limit(repo):
    out = repo.validate(append=DEPLOY.format(target="lambda") + "    function: {timeout: 16m}\n")
    assert (out.only("lambda-timeout").where, out.only("lambda-timeout").path, out.only("lambda-timeout").message) == (
        "mlops.yaml:29:25", "pipelines.deploy.function.timeout", "a Lambda function runs at most 15 minutes")


# --- batch --------------------------------------------------------------------------------

def test_batch_valid(repo):
    out = repo.validate(append=BATCH.format(output="s3://demo-data/predictions/")
                        + "    mode: mini\n    batch_size: 10\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_batch_mini_only_key_in_full_mode(repo):
    # Rule: batch_size applies to mode mini only; the key is at line 31, col 5.
    out = repo.validate(append=BATCH.format(output="s3://demo-data/predictions/")
                        + "    mode: full\n    batch_size: 10\n")
    problem = out.only("batch")
    assert (problem.where, problem.path) == ("mlops.yaml:31:5", "pipelines.batch.batch_size")
    assert problem.message == "'batch_size' applies to mode mini only"
    assert problem.hint == "remove it, or set mode: mini"


def test_batch_max_concurrency_in_full_mode(repo):
    out = repo.validate(append=BATCH.format(output="s3://demo-data/predictions/")
                        + "    mode: full\n    max_concurrency: 4\n")
    assert (out.only("batch").where, out.only("batch").path) == ("mlops.yaml:31:5", "pipelines.batch.max_concurrency")


def test_batch_output_inside_input(repo):
    # Rule: output may not overlap input (a run would read its own results); output is at line 29, col 13.
    out = repo.validate(append=BATCH.format(output="s3://demo-data/score/out/") + "    mode: mini\n")
    problem = out.only("batch-overlap")
    assert (problem.where, problem.path) == ("mlops.yaml:29:13", "pipelines.batch.output")
    assert problem.message == "output overlaps input: a run would read its own results"


def test_batch_input_inside_output(repo):
    out = repo.validate(append=BATCH.format(output="s3://demo-data/") + "    mode: mini\n")
    assert (out.only("batch-overlap").where, out.only("batch-overlap").path) == ("mlops.yaml:29:13", "pipelines.batch.output")


def test_batch_sibling_prefixes_do_not_overlap(repo):
    # s3://demo-data/score-out/ starts with the characters of s3://demo-data/score but is another prefix.
    out = repo.validate(append=BATCH.format(output="s3://demo-data/score-out/") + "    mode: mini\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_batch_requires_mode(repo):
    out = repo.validate(append=BATCH.format(output="s3://demo-data/predictions/"))
    assert (out.only("schema").where, out.only("schema").path, out.only("schema").message) == (
        "mlops.yaml:26:3", "pipelines.batch.mode", "missing required key 'mode'")


# --- new_data trigger ---------------------------------------------------------------------

SCHEDULE = '      schedule: "rate(1 day)"\n'


def test_new_data_watching_the_models_output_prefix(repo):
    # Rule: watching s3://<artifact_bucket>/<model>/ would start a run for every output written
    # (the prefix is at line 17, col 26).
    out = repo.validate(replace={SCHEDULE: '      new_data: {prefix: "s3://demo-artifacts/demo-model/"}\n'})
    problem = out.only("retrain-trigger-loop")
    assert (problem.where, problem.path) == ("mlops.yaml:17:26", "pipelines.retrain.triggers.new_data.prefix")
    assert problem.message == ("watches s3://demo-artifacts/demo-model/, where the pipeline writes its own outputs: "
                               "every run would start another")


def test_new_data_watching_the_whole_artifact_bucket(repo):
    out = repo.validate(replace={SCHEDULE: '      new_data: {prefix: "s3://demo-artifacts/"}\n'})
    assert (out.only("retrain-trigger-loop").where, out.only("retrain-trigger-loop").path) == ("mlops.yaml:17:26", "pipelines.retrain.triggers.new_data.prefix")


def test_new_data_defaulting_to_a_source_under_the_outputs(repo):
    # Without a prefix, new_data watches data.source; here that lies under the model's outputs.
    # Reported at `new_data` (line 17, col 17).
    out = repo.validate(replace={'      source: "s3://demo-data/raw/"\n': '      source: "s3://demo-artifacts/demo-model/in/"\n',
                                 SCHEDULE: "      new_data: {}\n"})
    problem = out.only("retrain-trigger-loop")
    assert (problem.where, problem.path) == ("mlops.yaml:17:17", "pipelines.retrain.triggers.new_data")


def test_new_data_under_another_models_prefix_is_fine(repo):
    out = repo.validate(replace={SCHEDULE: '      new_data: {prefix: "s3://demo-artifacts/other-model/"}\n'})
    assert (out.exit_code, out.problems) == (0, [])


def test_new_data_key_prefix_in_the_sources_bucket_watching_the_outputs(repo):
    # A key prefix is in the data source's bucket: here the artifact bucket, under the model's
    # outputs, so it loops as its S3 URI would (the prefix is at line 17, col 26).
    out = repo.validate(replace={'      source: "s3://demo-data/raw/"\n': '      source: "s3://demo-artifacts/in/"\n',
                                 SCHEDULE: "      new_data: {prefix: demo-model/runs/}\n"})
    problem = out.only("retrain-trigger-loop")
    assert (problem.where, problem.path) == ("mlops.yaml:17:26", "pipelines.retrain.triggers.new_data.prefix")
    assert problem.message.startswith("watches s3://demo-artifacts/demo-model/runs/,")


def test_new_data_key_prefix_in_a_data_bucket_is_fine(repo):
    out = repo.validate(replace={SCHEDULE: "      new_data: {prefix: demo-model/}\n"})
    assert (out.exit_code, out.problems) == (0, [])
