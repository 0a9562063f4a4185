"""`{model}` in the platform's role ARNs: a role per model. Each test names the rule and the exact
`file:line:col` and path. In the platform file (helpers.PLATFORM), `roles.pipeline` is on line 10
(value at col 13) and `roles.task` on line 11 (value at col 9)."""

import json

from helpers import PLATFORM

PER_MODEL = PLATFORM.replace("role/mlops-pipeline", "role/mlops-{model}-pipeline").replace(
    "role/mlops-task", "role/mlops-{model}-task")


def test_model_placeholder_in_role_names_is_valid(repo):
    repo.write_platform(PER_MODEL)
    out = repo.validate()
    assert (out.exit_code, out.problems) == (0, [])


def test_placeholder_is_replaced_by_the_model_name_in_the_outputs(repo):
    # The normalised model carries the substituted ARN: the manifest's target, the trigger rules'
    # RoleArn, the roles SageMaker and ECS run as, and iam.json.
    repo.write_platform(PER_MODEL)
    out = repo.run("compile", ".", "--platform", "platform.yaml", "-o", "out")
    assert out.exit_code == 0, out.output
    folder = repo.root / "out" / "demo-model" / "default"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["target"]["pipeline_role"] == "arn:aws:iam::111111111111:role/mlops-demo-model-pipeline"
    assert manifest["target"]["task_role"] == "arn:aws:iam::111111111111:role/mlops-demo-model-task"
    rule = json.loads((folder / "triggers.json").read_text())["rules"][0]
    assert rule["Targets"][0]["RoleArn"] == "arn:aws:iam::111111111111:role/mlops-demo-model-pipeline"
    roles = json.loads((folder / "iam.json").read_text())["roles"]
    assert roles["pipeline"]["arn"] == manifest["target"]["pipeline_role"]
    assert roles["task"]["arn"] == manifest["target"]["task_role"]
    assert "{model}" not in "".join(p.read_text() for p in folder.iterdir())


def test_role_name_too_long_for_this_model(repo):
    # Rule role-name: `mlops-{model}-...` with the 10-character model name demo-model makes a
    # 65-character role name; reported at the pipeline role's value in the platform file.
    fixed = "x" * (64 - len("demo-model") + 1 - len("-pipeline"))
    repo.write_platform(PER_MODEL.replace("role/mlops-{model}-pipeline", f"role/{fixed}{{model}}-pipeline"))
    out = repo.validate()
    problem = out.only("role-name")
    assert (problem.where, problem.path) == ("platform.yaml:10:13", "roles.pipeline")
    assert problem.message == "with model 'demo-model', the role name is 65 characters; IAM allows 64"
    assert problem.hint == ("the text around {model} has 55 characters: keep it to 54 for this model "
                            "(to 32 for every model name, which may have 32)")


def test_role_name_that_fits_exactly(repo):
    fixed = "x" * (64 - len("demo-model") - len("-pipeline"))
    repo.write_platform(PER_MODEL.replace("role/mlops-{model}-pipeline", f"role/{fixed}{{model}}-pipeline"))
    out = repo.validate()
    assert (out.exit_code, out.problems) == (0, [])


def test_shared_role_name_too_long(repo):
    # Without the placeholder the name is the same for every model; still at most 64 characters.
    repo.write_platform(PLATFORM.replace("role/mlops-task", "role/" + "t" * 65))
    problem = repo.validate().only("role-name")
    assert (problem.where, problem.path) == ("platform.yaml:11:9", "roles.task")
    assert problem.message == "the role name is 65 characters; IAM allows 64"


def test_role_name_too_long_in_an_inline_platform_block(repo):
    # The same rule where the model's own `platform:` block gives the roles: `platform:` on line
    # 26, the 8 other platform keys on lines 27-34, `roles:` on 35, the pipeline role on 36 (col 15).
    indented = "".join("  " + line + "\n" for line in PLATFORM.splitlines()
                       if not line.startswith(("roles", "  pipeline", "  task")))
    roles = ("  roles:\n"
             "    pipeline: arn:aws:iam::111111111111:role/" + "r" * 60 + "-{model}\n"
             "    task: arn:aws:iam::111111111111:role/t\n")
    out = repo.validate(append="platform:\n" + indented + roles, platform=False)
    problem = out.only("role-name")
    assert (problem.where, problem.path) == ("mlops.yaml:36:15", "platform.roles.pipeline")
    assert problem.message == "with model 'demo-model', the role name is 71 characters; IAM allows 64"


def test_placeholder_in_the_role_path_is_an_error(repo):
    # Rule arn: the placeholder belongs in the role name; a path cannot carry it.
    repo.write_platform(PLATFORM.replace("role/mlops-task", "role/{model}/mlops-task"))
    problem = repo.validate().only("arn")
    assert (problem.where, problem.path) == ("platform.yaml:11:9", "roles.task")
    assert problem.message == "{model} may appear only in the role name, not in its path"


def test_other_placeholders_are_not_role_names(repo):
    # Rule arn: `{name}` is no placeholder and braces are not valid in a role name.
    repo.write_platform(PLATFORM.replace("role/mlops-task", "role/mlops-{name}-task"))
    problem = repo.validate().only("arn")
    assert (problem.where, problem.path) == ("platform.yaml:11:9", "roles.task")
    assert problem.message == "is not a well-formed iam ARN for a role"
    assert "the only placeholder is {model}" in problem.hint


def test_placeholder_outside_roles_is_not_substituted(repo):
    # Only role ARNs take the placeholder: in the topic ARN it is a malformed ARN (line 5, col 21).
    repo.write_platform(PLATFORM.replace("mlops-alerts", "{model}-alerts"))
    problem = repo.validate().only("arn")
    assert (problem.where, problem.path) == ("platform.yaml:5:21", "notification_topic")
    assert problem.message == "is not a well-formed sns ARN for a topic"


def test_placeholder_role_in_another_account_is_still_checked(repo):
    # Rule arn: the account check applies to the ARN with its placeholder too.
    repo.write_platform(PER_MODEL.replace("iam::111111111111:role/mlops-{model}-task",
                                          "iam::999999999999:role/mlops-{model}-task"))
    problem = repo.validate().only("arn")
    assert (problem.where, problem.path) == ("platform.yaml:11:9", "roles.task")
    assert problem.message == "ARN is in account 999999999999, but the platform account is 111111111111"
