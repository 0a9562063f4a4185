"""The monitor section: what it needs from the pipelines, the drift job per deploy target, and
`monitor:<alarm>` references in traffic.alarms. Each test names the exact `file:line:col` and path.
Appended text starts on line 26: mostly a deploy pipeline (lines 26-28), then `monitor:` (line 29)."""

from helpers import PLATFORM

DEPLOY = "  deploy:\n    target: {target}\n    runtime: app\n"
MONITOR = """\
monitor:
  baseline:
    command: [python, baseline.py]
  drift:
    features: {price: 0.2}
"""


def test_monitor_valid_for_sagemaker_endpoint(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR
                        + "  health: {max_error_rate: 0.01, max_latency_p99_ms: 200}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_monitor_without_deploy(repo):
    # Rule: the monitor watches the deployed model; `monitor` is the key on line 26.
    out = repo.validate(append=MONITOR)
    problem = out.only("monitor-needs")
    assert (problem.where, problem.path) == ("mlops.yaml:26:1", "monitor")
    assert problem.message == "`monitor` watches the deployed model, and there is no deploy pipeline"


def test_drift_without_baseline(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint")
                        + "monitor:\n  drift:\n    features: {price: 0.2}\n")
    problem = out.only("monitor-needs")
    assert (problem.where, problem.path) == ("mlops.yaml:30:3", "monitor.drift")
    assert problem.message == "drift is measured against a baseline, and monitor.baseline is not set"


def test_baseline_without_retrain(repo):
    config = repo.config().split("pipelines:\n")[0] + "pipelines:\n" + DEPLOY.format(target="lambda") \
        + "monitor:\n  baseline:\n    command: [python, baseline.py]\n"
    out = repo.validate(text=config)
    problem = out.only("monitor-needs")
    assert problem.path == "monitor.baseline"
    assert problem.message == "the baseline is computed by the retrain pipeline, and there is none"


def test_a_drift_job_on_a_sagemaker_endpoint_is_valid_and_compiles_to_the_drift_pipeline(repo):
    """Model Monitor is closed to new customers (docs/monitoring.md): an endpoint may measure its
    drift with the model's own job, as lambda and ecs-service do, and then needs no Model Monitor."""
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR
                        + "    job: {command: [python, drift.py]}\n")
    assert (out.exit_code, out.problems) == (0, [])
    from compiler import api
    result = api.compile_outputs([str(repo.root)], str(repo.root / "platform.yaml"), None)
    assert result.validation.problems == ()
    (config,) = result.validation.models
    assert (config.pipelines, config.uses_model_monitor) == (("retrain", "deploy", "drift"), False)
    files = result.outputs["demo-model/default"]
    assert "drift.asl.json" in files and "MonitoringSchedule" not in files["deploy.asl.json"]


def test_a_drift_job_needs_no_model_monitor_image(repo):
    # il-central-1 has no Model Monitor analyzer listed; the model's own job runs there.
    repo.write_platform(PLATFORM.replace("eu-west-1", "il-central-1"))
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR
                        + "    job: {command: [python, drift.py]}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_lambda_needs_a_drift_job(repo):
    out = repo.validate(append=DEPLOY.format(target="lambda") + MONITOR)
    problem = out.only("monitor-needs")
    assert (problem.where, problem.path) == ("mlops.yaml:32:3", "monitor.drift.job")
    assert problem.message == "a lambda target needs its own drift job"


def test_drift_job_is_checked_like_a_stage(repo):
    # The drift job inherits the stage settings, so the Fargate size rule applies to it (line 35).
    out = repo.validate(append=DEPLOY.format(target="ecs-service") + MONITOR
                        + "    job:\n      command: [python, drift.py]\n      cpu: 256\n      memory: 8192\n")
    problem = out.only("fargate-size")
    assert problem.path.startswith("monitor.drift.job.")
    assert problem.where.startswith("mlops.yaml:3")


def test_traffic_alarm_reference_must_exist(repo):
    deploy = DEPLOY.format(target="sagemaker-endpoint") + (
        "    traffic: {mode: canary, percent: 10, interval: 5m, alarms: [monitor:error-rate]}\n")
    out = repo.validate(append=deploy + "monitor:\n  health: {max_latency_p99_ms: 200}\n")
    problem = out.only("monitor-alarm-ref")
    assert (problem.where, problem.path) == ("mlops.yaml:29:65", "pipelines.deploy.traffic.alarms[0]")
    assert problem.message == "'monitor:error-rate' names no alarm of the monitor section"
    assert problem.hint == "the monitor section creates: monitor:latency-p99"


def test_traffic_alarm_reference_compiles_to_the_alarm_name(repo):
    deploy = DEPLOY.format(target="sagemaker-endpoint") + (
        "    traffic: {mode: canary, percent: 10, interval: 5m, alarms: [monitor:error-rate, team-alarm]}\n")
    # one 5-minute period: the rollback alarm can fire within the 5-minute interval (rule rollback-window)
    repo.write(repo.config(append=deploy + "monitor:\n  health: {max_error_rate: 0.02, evaluation_periods: 1}\n"))
    from compiler import api
    result = api.compile_outputs([str(repo.root)], str(repo.root / "platform.yaml"), None)
    assert result.validation.problems == ()
    (config,) = result.validation.models
    assert config.deploy.traffic.alarms == ("demo-model-default-error-rate", "team-alarm")
    assert config.monitor.health.max_error_rate == 0.02


def test_unknown_monitor_key_has_a_hint(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + "monitor:\n  helth: {}\n")
    problem = out.only("schema")
    assert (problem.where, problem.path, problem.hint) == ("mlops.yaml:30:3", "monitor.helth", "did you mean 'health'?")


def test_cooldown_takes_an_hour_or_a_day(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR + "    cooldown: 6h\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:34:15", "monitor.drift.cooldown")


def test_monitor_overlay_per_environment(repo):
    # An environment overlay may change the monitor section (deep merge), e.g. a looser dev threshold.
    text = repo.config(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR
                       + "environments:\n  dev:\n    monitor:\n      drift:\n        features: {price: 0.5}\n"
                       + "  prod: {}\n")
    repo.write(text)
    from compiler import api
    result = api.compile_outputs([str(repo.root)], str(repo.root / "platform.yaml"), None)
    thresholds = {c.environment: dict(c.monitor.drift.features) for c in result.validation.models}
    assert thresholds == {"dev": {"price": 0.5}, "prod": {"price": 0.2}}


def test_drift_on_a_region_without_the_model_monitor_image(repo):
    # Model Monitor's analyzer image is listed per region; il-central-1 is not (yet) among them.
    repo.write_platform(PLATFORM.replace("eu-west-1", "il-central-1"))
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR)
    problem = out.only("monitor-analyzer-region")
    assert problem.path == "monitor.drift"
    assert problem.message == "SageMaker Model Monitor's analyzer image is not listed for il-central-1"


def test_daily_drift_alarm_window_fits_seven_days(repo):
    out = repo.validate(append=DEPLOY.format(target="sagemaker-endpoint") + MONITOR + "    evaluation_periods: 8\n")
    problem = out.only("monitor-drift-window")
    assert (problem.where, problem.path) == ("mlops.yaml:34:25", "monitor.drift.evaluation_periods")
    assert problem.message == "8 daily drift runs exceed CloudWatch's 7-day alarm window"


def test_rollback_alarms_are_the_health_alarms_of_the_new_version(repo):
    # Drift and no-invocations alarms are in ALARM exactly when a deployment must not roll back.
    deploy = DEPLOY.format(target="sagemaker-endpoint") + (
        "    traffic: {mode: canary, percent: 10, interval: 5m, alarms: [monitor:drift-price, monitor:no-invocations]}\n")
    out = repo.validate(append=deploy + MONITOR + "  health: {min_invocations_per_hour: 5}\n")
    assert [(p.rule, p.path, p.message) for p in out.problems] == [
        ("monitor-alarm-ref", "pipelines.deploy.traffic.alarms[0]", "'monitor:drift-price' cannot roll a deployment back: a drift alarm "
                                               "is still in ALARM when the retrained version it started deploys"),
        ("monitor-alarm-ref", "pipelines.deploy.traffic.alarms[1]", "'monitor:no-invocations' cannot roll a deployment back: it counts "
                                               "missing data as breaching, so it is in ALARM on a new or idle endpoint"),
    ]
    assert {p.hint for p in out.problems} == {"roll back on monitor:error-rate or monitor:latency-p99"}
