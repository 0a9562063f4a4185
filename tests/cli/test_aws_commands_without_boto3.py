"""Without boto3, a command that talks to AWS says which command needs it (issue 13, item 15):
the message is shared by every such command, so it names the command that was run."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from compiler.cli import cli

SAMPLES = "samples"
CHURN = "samples/churn-fargate"


@pytest.fixture
def without_boto3(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError, as when not installed


@pytest.mark.parametrize("arguments, command", [
    (["run", "retrain", CHURN, "--env", "default"], "mlopsc run"),
    (["status", CHURN, "--env", "default"], "mlopsc status"),
])
def test_the_message_names_the_command_that_was_run(without_boto3, arguments, command):
    result = CliRunner().invoke(cli, arguments, prog_name="mlopsc")
    assert result.exit_code != 0
    assert f"{command} needs boto3, which is not installed" in result.output, result.output
    assert "apply needs boto3" not in result.output
    assert "pip install 'mlopsc[aws]'" in result.output


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "out"
    result = CliRunner().invoke(cli, ["compile", CHURN, "--platform", "samples/mlops-platform.yaml", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("arguments, command", [
    (["apply", "{out}", "--env", "default", "--dry-run"], "mlopsc apply"),
    (["registry", "list", "{out}", "--env", "default"], "mlopsc registry list"),
])
def test_commands_reading_out_name_themselves_too(without_boto3, out, arguments, command):
    result = CliRunner().invoke(cli, [a.format(out=out) for a in arguments], prog_name="mlopsc")
    assert result.exit_code != 0
    assert f"{command} needs boto3, which is not installed" in result.output, result.output
