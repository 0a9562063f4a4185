"""`mlopsc run` and `mlopsc status` against the moto server, with moto executing state machines."""

from __future__ import annotations

import io
import itertools
import json

import pytest
from click.testing import CliRunner

from compiler.cli import cli
from compiler.runs import display, follow
from moto_aws import ACCOUNT, aws, aws_executing, create_platform, moto_executing_server, moto_server  # noqa: F401
from test_apply import SAMPLES, compile_into, run_apply

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

CHURN = str(SAMPLES / "churn-fargate")


@pytest.fixture
def executing(aws_executing):
    return aws_executing


@pytest.fixture
def applied_without_images(executing, tmp_path):
    """churn-fargate applied, but no build has run: its pointers name no images."""
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    create_platform(executing, out)
    run_apply(out)
    executing.out = out
    return executing


def test_run_wait_follows_a_compiled_pipeline_to_its_named_failure(applied_without_images):
    result = CliRunner().invoke(cli, ["run", "retrain", CHURN, "--env", "default", "--wait"])
    assert result.exit_code == 1, result.output
    assert "started retrain of churn-fargate (default): arn:aws:states:eu-west-1:111111111111:execution:" in result.output
    assert "started   Read pointers" in result.output and "finished  Read pointers" in result.output
    assert "started   Notify pointers missing" in result.output  # the failure path's SNS notification
    assert "FAILED in" in result.output and "PointersMissing" in result.output


def test_run_without_wait_starts_and_status_lists_the_run(applied_without_images):
    started = CliRunner().invoke(cli, ["run", "batch", CHURN, "--env", "default", "--input", '{"trigger": "test"}'])
    assert started.exit_code == 0, started.output
    arn = started.output.split(": ", 1)[1].splitlines()[0]
    sfn = applied_without_images.client("stepfunctions")
    assert json.loads(sfn.describe_execution(executionArn=arn)["input"]) == {"trigger": "test"}

    listed = CliRunner().invoke(cli, ["status", CHURN, "--env", "default", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.output)
    assert [(r["pipeline"], r["arn"]) for r in runs] == [("batch", arn)]
    text = CliRunner().invoke(cli, ["status", CHURN, "--env", "default"])
    assert text.output.splitlines()[0].split() == ["pipeline", "status", "started", "took", "run"]
    assert text.output.splitlines()[1].startswith("batch")
    from_out = CliRunner().invoke(cli, ["status", str(applied_without_images.out), "--env", "default"])
    assert from_out.exit_code == 0 and from_out.output == text.output  # OUT, as apply and registry read it


def test_a_pipeline_not_applied_is_a_clear_error(aws):
    result = CliRunner().invoke(cli, ["run", "retrain", CHURN, "--env", "default"])
    assert result.exit_code == 1
    assert "state machine does not exist" in result.output and "mlopsc apply" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("arguments, message", [
    (["run", "retrain", CHURN, "--env", "default", "--input", "{not json"], "--input is not JSON"),
    (["run", "retrain", CHURN, "--env", "default", "--input", "[1]"], "--input must be a JSON object"),
    (["run", "deploy", CHURN, "--env", "default"], "churn-fargate has no deploy pipeline"),
    (["run", "retrain", CHURN, "--env", "prod"], "no environment 'prod'"),
    (["status", str(SAMPLES / "churn-fargate"), str(SAMPLES / "demand-forecast"), "--env", "default"],
     "2 models found: churn-fargate, demand-forecast"),
])
def test_bad_arguments_are_usage_errors(arguments, message):
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output


# ----------------------------------------------------------------------------- following, on real history

MAP_MACHINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"items": list(range(30))}, "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 5,
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Square",
                                   "States": {"Square": {"Type": "Pass", "End": True}}},
                 "End": True},
    },
}


def _run(sfn, definition: dict) -> str:
    machine = sfn.create_state_machine(name="follow-test", definition=json.dumps(definition),
                                       roleArn=f"arn:aws:iam::{ACCOUNT}:role/test")["stateMachineArn"]
    return sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]


def test_follow_shows_working_states_in_order_and_their_outcome(executing):
    sfn = executing.client("stepfunctions")
    stream = io.StringIO()
    outcome = follow.follow(sfn, _run(sfn, MAP_MACHINE), display.PlainDisplay(stream), sleep=lambda s: None)
    assert outcome.ok and outcome.status == "SUCCEEDED"
    lines = stream.getvalue().splitlines()
    assert lines[0] == "  started   Pause" and lines[1].startswith("  finished  Pause (")
    assert "  started   Each" in lines and not any("Prepare" in line for line in lines)  # a Pass state is bookkeeping
    assert lines[-1].startswith("SUCCEEDED in ")


def test_follow_reports_a_failure_with_its_error_and_cause(executing):
    sfn = executing.client("stepfunctions")
    failing = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "GateFailed", "Cause": "auc [0.7] < 0.8"}}}
    stream = io.StringIO()
    outcome = follow.follow(sfn, _run(sfn, failing), display.PlainDisplay(stream), sleep=lambda s: None)
    assert not outcome.ok and outcome.error == "GateFailed"
    assert stream.getvalue().splitlines()[-1].startswith("FAILED in ")
    assert stream.getvalue().rstrip().endswith(": GateFailed: auc [0.7] < 0.8")


def test_on_a_terminal_rich_draws_the_same_story(executing):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    sfn = executing.client("stepfunctions")
    stream = Terminal()
    shown = display.for_stream(stream)
    assert isinstance(shown, display.RichDisplay)
    failing = {"StartAt": "Wait [x]", "States": {"Wait [x]": {"Type": "Wait", "Seconds": 0, "Next": "Boom"},
                                                 "Boom": {"Type": "Fail", "Error": "E", "Cause": "[red]not markup[/]"}}}
    outcome = follow.follow(sfn, _run(sfn, failing), shown, sleep=lambda s: None)
    assert outcome.status == "FAILED"
    text = stream.getvalue()
    assert "Wait [x]" in text and "[red]not markup[/]" in text  # names and causes are text, not markup


def test_polling_backs_off_while_nothing_happens(executing):
    """While an execution sits in a Wait state, the waits between polls grow by half up to the
    maximum; news (the state's exit) resets them."""
    import time

    sfn = executing.client("stepfunctions")
    waiting = {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 2, "End": True}}}
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(0.05)  # real time passes, far less than asked: the test stays fast

    outcome = follow.follow(sfn, _run(sfn, waiting), display.PlainDisplay(io.StringIO()), sleep=sleep)
    assert outcome.ok
    # The start is news to one poll, or to two on a loaded machine (CI runs tests in parallel):
    # each resets the wait to 1 s, so the growth is read from the first wait past them.
    growing = list(itertools.dropwhile(lambda seconds: seconds == 1.0, waits))[:7]
    assert growing == [1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0], waits



def test_an_edited_out_is_a_usage_error(tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "churn-fargate")
    (out / "churn-fargate/default/pointers.json").write_text("{}\n")
    result = CliRunner().invoke(cli, ["status", str(out), "--env", "default"])
    assert result.exit_code == 2
    assert "pointers.json: does not match the sha256 in manifest.json" in result.output


def test_running_a_pipeline_switched_off_in_the_environment_says_so(tmp_path):
    from compile_helpers import make_repo

    config = {"version": 1, "model": {"name": "switch-model"}, "runtimes": {"app": {"dockerfile": "Dockerfile"}},
              "stage_defaults": {"runtime": "app"},
              "pipelines": {"retrain": {"data": {"source": "s3://acme-ml-data/switch/"},
                                        "stages": {"train": {"command": ["python", "train.py"]}}},
                            "deploy": {"target": "sagemaker-endpoint", "runtime": "app"}},
              "environments": {"staging": {}, "prod": {"pipelines": {"retrain": {"enabled": False}}}}}
    repo = make_repo(tmp_path, "switch", config)
    result = CliRunner().invoke(cli, ["run", "retrain", str(repo), "--env", "prod",
                                      "--platform", str(tmp_path / "mlops-platform.yaml")])
    assert result.exit_code == 2, result.output
    assert "switch-model has no retrain pipeline in prod: it is switched off there (enabled: false)" in result.output
    assert "its pipelines there: deploy" in result.output
