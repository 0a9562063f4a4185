"""A platform file checked alone, as `mlopsc bootstrap platform` reads it (there is no model):
compiler.checks.check_platform_file runs the schema pass and the ARN rule over it as a config's
platform block, and rule platform-stack-required; each problem is located in the file, at the
top-level key that holds it."""

from helpers import PLATFORM

from compiler import checks


def _problems(tmp_path, text):
    path = tmp_path / "mlops-platform.yaml"
    path.write_text(text, encoding="utf-8")
    document, problems = checks.check_platform_file(path)
    assert (document is None) == bool(problems)
    return [(p.rule, f"{p.line}:{p.col}", p.path) for p in problems]


def test_a_valid_platform_file_has_no_problem(tmp_path):
    assert _problems(tmp_path, PLATFORM) == []


def test_schema_and_stack_keys_are_reported_at_their_lines(tmp_path):
    # account (line 1) is a number, not a string; registry_table (line 4) is removed.
    text = PLATFORM.replace('account: "111111111111"', "account: 111111111111").replace(
        "registry_table: mlops-registry\n", "")
    assert _problems(tmp_path, text) == [
        ("platform-stack-required", "1:1", "registry_table"),  # at the top of the file, where it is missing
        ("schema", "1:10", "account"),
    ]


def test_the_arn_rule_runs_once_the_file_is_well_formed(tmp_path):
    # roles.task (line 11, col 9) names another account than the file's.
    text = PLATFORM.replace("arn:aws:iam::111111111111:role/mlops-task", "arn:aws:iam::222222222222:role/mlops-task")
    assert _problems(tmp_path, text) == [("arn", "11:9", "roles.task")]
