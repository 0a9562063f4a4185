"""monitor.json and the monitor's rules in triggers.json, checked at compile time.

Every sample with a `monitor` section gets monitor.json; its alarms carry the config's thresholds,
and `monitor:<alarm>` in traffic.alarms names one of them. The independent checks:

- cfn-lint, on one template per environment. The mapping from what apply sends to CloudFormation
  is the identity, and `as_cloudformation` is all of it: PutMetricAlarm's keyword arguments are
  the properties of AWS::CloudWatch::Alarm by the same names (Metrics is a list of
  MetricDataQuery, Tags a list of Key/Value in both); PutDashboard's DashboardName and
  DashboardBody are AWS::CloudWatch::Dashboard's, the body as a JSON string; a rule of
  triggers.json is AWS::Events::Rule's Name, Description, EventBusName, State, EventPattern,
  ScheduleExpression and Targets (Id, Arn, RoleArn, Input, InputTransformer). A test holds every
  key to the resource's schema as cfn-lint carries it, so the mapping cannot silently drop one.
- botocore's own parameter validation of PutMetricAlarm, PutDashboard, PutRule and PutTargets,
  the calls apply makes with these values.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from compiler import api
from compiler.render import alarms as monitor_render
from compiler.render.naming import SAGEMAKER_VARIANT
from compile_helpers import (LONG_ENVIRONMENT, LONG_MODEL, SAMPLES, AslValidator, CfnLint, all_states, compile_repos,
                             make_repo)

WITH_MONITOR = {"demand-forecast/default", "fraud-scoring/dev", "fraud-scoring/prod"}
RULE_KEYS = ("Name", "Description", "EventBusName", "State", "EventPattern", "ScheduleExpression")


@pytest.fixture(scope="module")
def compiled() -> dict:
    """"model/env" -> (ModelConfig, {file name: text}) of every sample environment."""
    result = api.compile_outputs([str(SAMPLES)])
    assert result.validation.ok, result.validation.problems
    return {f"{c.name}/{c.environment}": (c, result.outputs[f"{c.name}/{c.environment}"])
            for c in result.validation.models}


def monitor_of(files: dict) -> dict:
    return json.loads(files["monitor.json"])


def rules_of(files: dict) -> list:
    return json.loads(files["triggers.json"])["rules"]


def alarms_by_kind(config, files) -> dict:
    prefix = f"{config.name}-{config.environment}-"
    return {alarm["AlarmName"].removeprefix(prefix): alarm for alarm in monitor_of(files)["alarms"]}


# --------------------------------------------------------------------------- what is emitted

def test_every_sample_with_monitor_and_only_those_get_monitor_json(compiled):
    assert {label for label, (config, files) in compiled.items() if "monitor.json" in files} == WITH_MONITOR
    for label, (config, files) in compiled.items():
        assert ("monitor.json" in files) == (config.monitor is not None), label
        if "monitor.json" in files:
            outputs = {entry["path"] for entry in json.loads(files["manifest.json"])["outputs"]}
            assert "monitor.json" in outputs, label  # so apply checks its sha256


def test_one_alarm_per_drift_feature_and_per_health_limit(compiled):
    for label in WITH_MONITOR:
        config, files = compiled[label]
        monitor = config.monitor
        health = {"error-rate": monitor.health.max_error_rate, "latency-p99": monitor.health.max_latency_p99_ms,
                  "no-invocations": monitor.health.min_invocations_per_hour}
        expected = {f"drift-{feature}" for feature in monitor.drift.features} | {k for k, v in health.items() if v}
        assert set(alarms_by_kind(config, files)) == expected, label


def test_thresholds_and_periods_are_the_configs(compiled):
    for label in WITH_MONITOR:
        config, files = compiled[label]
        drift, health = config.monitor.drift, config.monitor.health
        alarms = alarms_by_kind(config, files)
        for feature, threshold in drift.features.items():
            alarm = alarms[f"drift-{feature}"]
            assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["Period"]) == (
                threshold, drift.evaluation_periods, {"hourly": 3600, "daily": 86400}[drift.schedule]), label
            assert alarm["MetricName"] == f"feature_baseline_drift_{feature}"
            assert (alarm["ComparisonOperator"], alarm["TreatMissingData"]) == ("GreaterThanThreshold", "notBreaching")
        assert alarms["error-rate"]["Threshold"] == health.max_error_rate
        assert alarms["error-rate"]["EvaluationPeriods"] == health.evaluation_periods
        # SageMaker's ModelLatency is in microseconds, Lambda's Duration in milliseconds.
        per_ms = 1000 if config.deploy.target == "sagemaker-endpoint" else 1
        assert alarms["latency-p99"]["Threshold"] == health.max_latency_p99_ms * per_ms
        assert alarms["latency-p99"]["ExtendedStatistic"] == "p99" and alarms["latency-p99"]["Period"] == 300
        if health.min_invocations_per_hour:
            low = alarms["no-invocations"]
            assert (low["Threshold"], low["Period"], low["ComparisonOperator"], low["TreatMissingData"]) == (
                health.min_invocations_per_hour, 3600, "LessThanThreshold", "breaching")


def test_every_alarm_notifies_the_topic_and_is_tagged_as_the_environments(compiled):
    for label in WITH_MONITOR:
        config, files = compiled[label]
        for alarm in monitor_of(files)["alarms"]:
            topic = [config.platform.notification_topic]
            assert alarm["AlarmActions"] == topic and alarm["OKActions"] == topic and alarm["ActionsEnabled"]
            tags = {tag["Key"]: tag["Value"] for tag in alarm["Tags"]}
            assert tags == {**config.tags, "mlops:model": config.name, "mlops:environment": config.environment}


def test_the_metrics_are_where_the_deploy_target_publishes_them(compiled):
    config, files = compiled["demand-forecast/default"]
    alarms = alarms_by_kind(config, files)
    assert alarms["drift-lag_7"]["Namespace"] == "aws/sagemaker/Endpoints/data-metrics"
    assert alarms["drift-lag_7"]["Dimensions"] == [{"Name": "Endpoint", "Value": "demand-forecast-default"},
                                                   {"Name": "MonitoringSchedule", "Value": "demand-forecast-default-drift"}]
    variant = json.loads(files["deploy.asl.json"])
    variants = [state["Parameters"]["ProductionVariants"] for state in variant["States"].values()
                if "ProductionVariants" in state.get("Parameters", {})]
    assert variants and all(v[0]["VariantName"] == SAGEMAKER_VARIANT for v in variants)
    assert alarms["latency-p99"]["Dimensions"] == [{"Name": "EndpointName", "Value": "demand-forecast-default"},
                                                   {"Name": "VariantName", "Value": "AllTraffic"}]
    config, files = compiled["fraud-scoring/dev"]
    alarms = alarms_by_kind(config, files)
    assert (alarms["latency-p99"]["Namespace"], alarms["latency-p99"]["MetricName"]) == ("AWS/Lambda", "Duration")
    assert alarms["latency-p99"]["Dimensions"] == [{"Name": "FunctionName", "Value": "fraud-scoring"},
                                                   {"Name": "Resource", "Value": "fraud-scoring:live"}]
    assert alarms["drift-log_amount"]["Namespace"] == "mlops/fraud-scoring"
    assert alarms["drift-log_amount"]["Dimensions"] == [{"Name": "Environment", "Value": "dev"}]
    (rate,) = [query for query in alarms["error-rate"]["Metrics"] if query["ReturnData"]]
    assert rate["Expression"] == "IF(FILL(invocations, 0) > 0, FILL(errors, 0) / FILL(invocations, 0), 0)"


def test_rollback_alarms_named_monitor_are_alarms_of_monitor_json(compiled):
    """`monitor:<alarm>` in traffic.alarms resolves to an alarm monitor.json creates (and the deploy
    state machine names exactly that alarm)."""
    referenced = 0
    for label in WITH_MONITOR:
        config, files = compiled[label]
        names = {alarm["AlarmName"] for alarm in monitor_of(files)["alarms"]}
        for alarm in config.deploy.traffic.alarms:
            if alarm.startswith(f"{config.name}-{config.environment}-"):
                assert alarm in names, (label, alarm)
                if config.deploy.traffic.mode != "all-at-once":  # all at once has no step to roll back in
                    # the deploy puts and watches the alarm's twin on the new version (issue 13, item 7)
                    twin = alarm.replace(f"{config.name}-{config.environment}-",
                                         f"{config.name}-{config.environment}-rollback-", 1)
                    assert json.dumps(twin) in files["deploy.asl.json"], (label, twin)
                referenced += 1
    assert referenced >= 3  # demand-forecast: error-rate and latency-p99; fraud-scoring: error-rate


def test_the_dashboard_shows_runs_health_drift_and_every_alarm(compiled):
    for label in WITH_MONITOR:
        config, files = compiled[label]
        monitor = monitor_of(files)
        dashboard = monitor["dashboard"]
        assert dashboard["DashboardName"] == f"{config.name}-{config.environment}"
        widgets = dashboard["DashboardBody"]["widgets"]
        metric_widgets = [w for w in widgets if w["type"] == "metric"]
        assert all(w["properties"]["region"] == config.platform.region for w in metric_widgets)
        titles = [w["properties"]["title"] for w in metric_widgets]
        assert titles[:2] == ["Pipeline runs", "Pipeline failures"] and "Feature drift" in titles
        machines = {line[3] for w in metric_widgets[:2] for line in w["properties"]["metrics"]}
        pointers = json.loads(files["pointers.json"])["state_machines"]
        assert {machine["arn"] for machine in pointers.values()} <= machines
        (status,) = [w for w in widgets if w["type"] == "alarm"]
        assert status["properties"]["alarms"] == [
            f"arn:aws:cloudwatch:{config.platform.region}:{config.platform.account}:alarm:{a['AlarmName']}"
            for a in monitor["alarms"]]
        (drift,) = [w for w in metric_widgets if w["properties"]["title"] == "Feature drift"]
        assert [a["value"] for a in drift["properties"]["annotations"]["horizontal"]] == list(
            config.monitor.drift.features.values())
        # Widgets never overlap on the 24-column grid.
        cells = [(x, y) for w in widgets for x in range(w["x"], w["x"] + w["width"])
                 for y in range(w["y"], w["y"] + w["height"])]
        assert len(cells) == len(set(cells)) and max(x for x, _ in cells) < 24


def test_the_drift_rule_retrains_on_a_drift_alarm_entering_alarm(compiled):
    for label in WITH_MONITOR:
        config, files = compiled[label]
        (rule,) = [r for r in rules_of(files) if r["Name"] == f"{config.name}-{config.environment}-retrain-drift"]
        drift_arns = [f"arn:aws:cloudwatch:{config.platform.region}:{config.platform.account}:alarm:{a['AlarmName']}"
                      for a in monitor_of(files)["alarms"] if "-drift-" in a["AlarmName"]]
        assert json.loads(rule["EventPattern"]) == {
            "source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
            "resources": drift_arns, "detail": {"state": {"value": ["ALARM"]}}}
        (target,) = rule["Targets"]
        assert target["Arn"].endswith(f":stateMachine:{config.name}-{config.environment}-retrain")
        assert target["InputTransformer"] == {"InputPathsMap": {"alarm": "$.detail.alarmName"},
                                              "InputTemplate": '{"trigger": "drift", "alarm": <alarm>}'}
        assert rule["EventBusName"] == "default"  # where AWS services' events arrive


def test_the_drift_job_runs_on_its_schedule_where_the_model_runs_it(compiled):
    schedules = {}
    for label, (config, files) in compiled.items():
        rules = [r for r in rules_of(files) if r["Name"].endswith("-drift-schedule")]
        assert bool(rules) == (config.drift_job is not None), label
        for rule in rules:
            (target,) = rule["Targets"]
            assert target["Arn"].endswith(f":stateMachine:{config.name}-{config.environment}-drift")
            assert json.loads(target["Input"]) == {"trigger": "schedule"}
            schedules[label] = rule["ScheduleExpression"]
    assert schedules == {"fraud-scoring/dev": "cron(0 * * * ? *)", "fraud-scoring/prod": "cron(0 * * * ? *)"}


def test_without_retrain_on_drift_there_is_no_drift_rule(tmp_path):
    config = yaml.safe_load((SAMPLES / "fraud-lambda" / "mlops.yaml").read_text())
    config["monitor"]["drift"]["retrain"] = False
    config["monitor"]["drift"]["schedule"] = "daily"
    config.pop("environments")
    make_repo(tmp_path, "no-retrain", config)
    compile_repos(tmp_path, ["no-retrain"], tmp_path / "out")
    rules = json.loads((tmp_path / "out/fraud-scoring/default/triggers.json").read_text())["rules"]
    names = [rule["Name"] for rule in rules]
    assert "fraud-scoring-default-retrain-drift" not in names
    (schedule,) = [rule for rule in rules if rule["Name"] == "fraud-scoring-default-drift-schedule"]
    assert schedule["ScheduleExpression"] == "cron(0 0 * * ? *)"
    monitor = json.loads((tmp_path / "out/fraud-scoring/default/monitor.json").read_text())
    assert all("retrain" not in alarm["AlarmDescription"] for alarm in monitor["alarms"])


@pytest.fixture(scope="module")
def ecs_service(tmp_path_factory) -> Path:
    """fraud-lambda's config served by an ECS service, with every health alarm."""
    folder = tmp_path_factory.mktemp("ecs-monitor")
    config = yaml.safe_load((SAMPLES / "fraud-lambda" / "mlops.yaml").read_text())
    config.pop("environments")
    config["pipelines"]["deploy"] = {"target": "ecs-service", "runtime": "serve",
                                     "traffic": {"mode": "all-at-once", "alarms": ["monitor:latency-p99"]}}
    config["monitor"]["health"]["min_invocations_per_hour"] = 60
    make_repo(folder, "ecs-monitor", config)
    compile_repos(folder, ["ecs-monitor"], folder / "out")
    return folder / "out" / "fraud-scoring" / "default"


def test_an_ecs_service_is_watched_through_the_metrics_its_runtime_publishes(ecs_service):
    monitor = json.loads((ecs_service / "monitor.json").read_text())
    for alarm in monitor["alarms"]:
        metrics = [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
        for metric in metrics or [alarm]:
            assert metric["Namespace"] == "mlops/fraud-scoring", alarm["AlarmName"]
            assert metric["Dimensions"] == [{"Name": "Environment", "Value": "default"}], alarm["AlarmName"]
    latency = next(a for a in monitor["alarms"] if a["AlarmName"].endswith("-latency-p99"))
    assert (latency["MetricName"], latency["Threshold"]) == ("Latency", 300.0)


@pytest.fixture(scope="module")
def endpoint_job(tmp_path_factory) -> Path:
    """demand-forecast with a drift job of its own, as an account Model Monitor is closed to runs it."""
    folder = tmp_path_factory.mktemp("endpoint-job")
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    config["monitor"]["drift"]["job"] = {"runtime": "prep", "command": ["python", "-m", "forecast.drift"]}
    make_repo(folder, "endpoint-job", config)
    compile_repos(folder, ["endpoint-job"], folder / "out")
    return folder / "out" / "demand-forecast" / "default"


@pytest.mark.e2e
def test_an_endpoint_with_its_own_drift_job_runs_the_drift_pipeline_and_no_model_monitor(endpoint_job, tmp_path):
    AslValidator.require()
    CfnLint.require()
    paths = sorted(endpoint_job.glob("*.asl.json"))
    assert [path.name for path in paths] == ["batch.asl.json", "deploy.asl.json", "drift.asl.json", "retrain.asl.json"]
    assert {path: ok for path, (ok, _) in AslValidator.run(paths).items()} == {str(path): True for path in paths}
    definitions = {path.name.split(".")[0]: json.loads(path.read_text()) for path in paths}
    assert CfnLint.run(definitions, tmp_path) == {name: [] for name in definitions}
    deploy = all_states(definitions["deploy"])
    assert not [name for name, state in deploy.items() if "MonitoringSchedule" in state.get("Resource", "")]
    assert deploy["Publish deployment succeeded"]["Next"] == "Done"
    (capture,) = [state["Parameters"] for state in deploy.values() if "DataCaptureConfig" in state.get("Parameters", {})]
    variant = capture["ProductionVariants"][0]["VariantName"]
    # SageMaker writes <DestinationS3Uri><endpoint>/<variant>/yyyy/mm/dd/hh/ (model-monitor-data-capture-endpoint).
    captured = f"{capture['DataCaptureConfig']['DestinationS3Uri']}demand-forecast-default/{variant}/"
    environment = all_states(definitions["drift"])["Drift"]["Parameters"]["Environment"]
    assert environment["MLOPS_CAPTURE_URI"] == environment["MLOPS_INPUT_URI"] == captured
    assert environment["MLOPS_DRIFT_WINDOW_HOURS"] == "24"  # a daily schedule


def test_an_endpoints_own_drift_job_alarms_and_schedules_like_lambdas(endpoint_job):
    monitor = json.loads((endpoint_job / "monitor.json").read_text())
    drift = [alarm for alarm in monitor["alarms"] if "-drift-" in alarm["AlarmName"]]
    assert len(drift) == 3 and {(a["Namespace"], json.dumps(a["Dimensions"])) for a in drift} == {
        ("mlops/demand-forecast", json.dumps([{"Name": "Environment", "Value": "default"}]))}
    assert all("the model's drift job" in alarm["AlarmDescription"] for alarm in drift)
    latency = next(a for a in monitor["alarms"] if a["AlarmName"].endswith("-latency-p99"))
    assert latency["Namespace"] == "AWS/SageMaker"  # serving health is still the endpoint's own
    rules = {rule["Name"]: rule for rule in json.loads((endpoint_job / "triggers.json").read_text())["rules"]}
    schedule = rules["demand-forecast-default-drift-schedule"]
    assert (schedule["ScheduleExpression"], schedule["Targets"][0]["Arn"].rsplit(":", 1)[1]) == (
        "cron(0 0 * * ? *)", "demand-forecast-default-drift")
    roles = json.loads((endpoint_job / "iam.json").read_text())["roles"]
    statements = {role: {s["Sid"]: s for s in roles[role]["policy"]["Statement"]} for role in roles}
    assert "SageMakerMonitoring" not in statements["pipeline"]
    assert statements["task"]["ModelMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": ["mlops/demand-forecast"]}}
    assert monitor_render.MODEL_MONITOR_NAMESPACE not in json.dumps(statements["task"])


@pytest.fixture(scope="module")
def longest(tmp_path_factory) -> Path:
    """The longest names the schema allows: model and environment, and 20 features of 64 characters."""
    folder = tmp_path_factory.mktemp("longest-monitor")
    config = yaml.safe_load((SAMPLES / "fraud-lambda" / "mlops.yaml").read_text())
    config["model"]["name"] = LONG_MODEL
    config["environments"] = {LONG_ENVIRONMENT: {}}
    config["pipelines"]["deploy"]["function"].pop("name")
    config["monitor"]["drift"]["features"] = {f"{'f' * 62}{index:02d}": 0.5 for index in range(20)}
    make_repo(folder, "longest", config)
    compile_repos(folder, ["longest"], folder / "out")
    return folder / "out" / LONG_MODEL / LONG_ENVIRONMENT


def test_the_longest_names_fit_cloudwatch_and_eventbridge(longest):
    """20 drift alarms of the longest names: the drift rule's pattern lists them all within
    EventBridge's 4096 characters; alarm names within CloudWatch's 255."""
    monitor = json.loads((longest / "monitor.json").read_text())
    assert len(monitor["alarms"]) == 20 + 2
    assert max(len(alarm["AlarmName"]) for alarm in monitor["alarms"]) <= 255
    rules = json.loads((longest / "triggers.json").read_text())["rules"]
    (rule,) = [r for r in rules if '"aws.cloudwatch"' in r.get("EventPattern", "")]  # its name is cut to 64
    assert len(json.loads(rule["EventPattern"])["resources"]) == 20
    assert len(rule["EventPattern"]) <= 4096


# --------------------------------------------------------------------------- independent validators

def as_cloudformation(monitor: dict, rules: list) -> dict:
    """The resources a CloudFormation template would declare for these API calls (module docstring)."""
    resources = {f"Alarm{index}": {"Type": "AWS::CloudWatch::Alarm", "Properties": alarm}
                 for index, alarm in enumerate(monitor["alarms"])}
    dashboard = monitor["dashboard"]
    resources["Dashboard"] = {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": dashboard["DashboardName"], "DashboardBody": json.dumps(dashboard["DashboardBody"])}}
    for index, rule in enumerate(rules):
        properties = {key: rule[key] for key in RULE_KEYS if key in rule}
        if "EventPattern" in properties:
            properties["EventPattern"] = json.loads(properties["EventPattern"])
        resources[f"Rule{index}"] = {"Type": "AWS::Events::Rule", "Properties": {**properties, "Targets": rule["Targets"]}}
    return resources


class MonitorLint(CfnLint):
    """CfnLint's batch run, with a template of monitor resources instead of a state machine."""

    @staticmethod
    def template(resources: dict, role: str = "") -> dict:
        return {"AWSTemplateFormatVersion": "2010-09-09",
                "Description": "monitor.json and triggers.json of one environment, as CloudFormation resources",
                "Resources": resources}


@pytest.fixture(scope="module")
def environments(compiled, ecs_service, endpoint_job, longest) -> dict:
    found = {label: (monitor_of(files), rules_of(files)) for label, (_, files) in compiled.items() if label in WITH_MONITOR}
    for label, directory in (("ecs-service", ecs_service), ("endpoint drift job", endpoint_job), ("longest names", longest)):
        found[label] = (json.loads((directory / "monitor.json").read_text()),
                        json.loads((directory / "triggers.json").read_text())["rules"])
    return found


@pytest.mark.e2e
def test_every_key_is_a_property_of_its_cloudformation_resource(environments):
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    for label, (monitor, rules) in environments.items():
        for logical, resource in as_cloudformation(monitor, rules).items():
            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("eu-west-1", resource["Type"]).schema
            assert set(resource["Properties"]) <= set(schema["properties"]), (label, logical)
        for alarm in monitor["alarms"]:  # and nothing of PutMetricAlarm's is left out of the mapping
            assert set(alarm) <= set(as_cloudformation({"alarms": [alarm], "dashboard": monitor["dashboard"]}, [])
                                     ["Alarm0"]["Properties"])


@pytest.mark.e2e
def test_cfn_lint_accepts_the_alarms_dashboard_and_rules(environments, tmp_path):
    CfnLint.require()
    templates = {label: as_cloudformation(monitor, rules) for label, (monitor, rules) in environments.items()}
    results = MonitorLint.run(templates, tmp_path)
    problems = {label: found for label, found in results.items() if found}
    assert not problems, "cfn-lint found:\n" + "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items())


@pytest.mark.e2e
def test_cfn_lint_rejects_a_broken_alarm_dashboard_and_rule(environments, tmp_path):
    """Negative controls: the same call flags each defect (one per template)."""
    CfnLint.require()
    monitor, rules = environments["demand-forecast/default"]
    good = as_cloudformation(monitor, rules)

    def broken(logical: str, key: str, value) -> dict:
        resources = copy.deepcopy(good)
        resources[logical]["Properties"][key] = value
        return resources
    drift, rate = "Alarm0", "Alarm3"
    cases = {
        "misspelt operator": broken(drift, "ComparisonOperator", "GreaterThan"),
        "unknown statistic": broken(drift, "Statistic", "Max"),
        "unknown missing-data treatment": broken(drift, "TreatMissingData", "ignored"),
        "a dimension without a value": broken(drift, "Dimensions", [{"Name": "Endpoint"}]),
        "a threshold that is no number": broken(rate, "Threshold", "high"),
        "a dashboard body that is no string": broken("Dashboard", "DashboardBody", monitor["dashboard"]["DashboardBody"]),
        "a rule state that does not exist": broken("Rule0", "State", "ON"),
    }
    results = MonitorLint.run({"good": good, **cases}, tmp_path)
    assert results["good"] == []
    accepted = [defect for defect in cases if not results[defect]]
    assert not accepted, f"cfn-lint accepted: {accepted}"


def test_botocore_accepts_every_call_apply_makes(environments):
    import botocore.session
    from botocore.validate import validate_parameters

    session = botocore.session.get_session()
    cloudwatch, events = session.get_service_model("cloudwatch"), session.get_service_model("events")
    for label, (monitor, rules) in environments.items():
        for alarm in monitor["alarms"]:
            validate_parameters(alarm, cloudwatch.operation_model("PutMetricAlarm").input_shape)
        dashboard = monitor["dashboard"]
        validate_parameters({"DashboardName": dashboard["DashboardName"],
                             "DashboardBody": json.dumps(dashboard["DashboardBody"])},
                            cloudwatch.operation_model("PutDashboard").input_shape)
        for rule in rules:
            validate_parameters({key: rule[key] for key in RULE_KEYS if key in rule},
                                events.operation_model("PutRule").input_shape)
            validate_parameters({"Rule": rule["Name"], "EventBusName": rule["EventBusName"], "Targets": rule["Targets"]},
                                events.operation_model("PutTargets").input_shape)
