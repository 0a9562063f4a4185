"""The platform file, the inline `platform:` block, ARNs, and environment overlays. Each test
names the rule and the exact `file:line:col` and path. An appended `platform:` or
`environments:` block starts on line 26."""

from helpers import PLATFORM

PROD_PLATFORM = """\
environments:
  prod:
    platform:
      account: "222222222222"
      notification_topic: arn:aws:sns:eu-west-1:222222222222:mlops-alerts
      roles:
        pipeline: arn:aws:iam::222222222222:role/mlops-pipeline
        task: arn:aws:iam::222222222222:role/mlops-task
  dev: {}
"""


# --- --platform merged with the inline block ------------------------------------------------

def test_inline_platform_conflicting_with_the_platform_file(repo):
    # Rule: a key given by both must agree; the problem points at the inline line (27), and names
    # the platform file's line.
    out = repo.validate(append="platform:\n  region: us-east-1\n")
    problem = out.at("platform.region", "platform-conflict")
    assert problem.where == "mlops.yaml:27:11"
    assert problem.message == "conflicts with the platform file (platform.yaml:2 gives another value)"
    assert out.exit_code == 1


def test_nested_inline_platform_conflict(repo):
    out = repo.validate(append="platform:\n  roles:\n    task: arn:aws:iam::111111111111:role/other\n")
    problem = out.only("platform-conflict")
    assert (problem.where, problem.path) == ("mlops.yaml:28:11", "platform.roles.task")
    assert problem.message == "conflicts with the platform file (platform.yaml:11 gives another value)"


def test_inline_platform_agreeing_or_adding_keys_is_fine(repo):
    out = repo.validate(append="platform:\n  region: eu-west-1\n  kms_key: arn:aws:kms:eu-west-1:111111111111:alias/ml\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_inline_platform_alone_without_platform_file(repo):
    indented = "".join("  " + line + "\n" for line in PLATFORM.splitlines())
    out = repo.validate(append="platform:\n" + indented, platform=False)
    assert (out.exit_code, out.problems) == (0, [])


def test_missing_platform_keys_are_one_problem(repo):
    # Rule: every pipeline needs the platform keys; without --platform nor `platform:` they are all
    # missing, reported once at the top of the file.
    out = repo.validate(platform=False)
    problem = out.only("platform-required")
    assert (problem.where, problem.path) == ("mlops.yaml:1:1", "platform")
    assert problem.message == ("missing platform keys account, region, artifact_bucket, registry_table, "
                               "notification_topic, roles, ecs_cluster, subnets, security_groups "
                               "(ecs_cluster, subnets, security_groups because Fargate tasks run here)")


def test_problem_in_the_platform_file_points_into_it(repo):
    # Rule: unknown key `acount` (line 1 of the platform file), shown with its path in that file.
    repo.write_platform(PLATFORM.replace('account: "111111111111"', 'acount: "111111111111"'))
    out = repo.validate()
    problem = out.at("acount", "schema")
    assert (problem.where, problem.hint) == ("platform.yaml:1:1", "did you mean 'account'?")


def test_nonexistent_platform_file_is_a_usage_error(repo):
    out = repo.run("validate", ".", "--platform", "nope.yaml")
    assert out.exit_code == 2
    assert "nope.yaml" in out.stderr and "does not exist" in out.stderr


# --- ARNs ---------------------------------------------------------------------------------

def test_malformed_arn(repo):
    # Rule: ARNs are well formed for their kind: `keyy/` is no KMS resource (line 27, col 12).
    out = repo.validate(append="platform:\n  kms_key: arn:aws:kms:eu-west-1:111111111111:keyy/abc\n")
    problem = out.only("arn")
    assert (problem.where, problem.path) == ("mlops.yaml:27:12", "platform.kms_key")
    assert problem.message.startswith("is not a well-formed kms ARN")


def test_not_an_arn_at_all_is_reported_once(repo):
    out = repo.validate(append="platform:\n  kms_key: not-an-arn\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:27:12", "platform.kms_key")
    assert problem.message == "'not-an-arn' is not in the expected form"


def test_arn_in_another_account(repo):
    # Rule: ARNs agree with platform.account (111111111111).
    out = repo.validate(append="platform:\n  kms_key: arn:aws:kms:eu-west-1:999999999999:alias/ml\n")
    problem = out.only("arn")
    assert (problem.where, problem.path) == ("mlops.yaml:27:12", "platform.kms_key")
    assert problem.message == "ARN is in account 999999999999, but the platform account is 111111111111"


def test_arn_in_another_region(repo):
    out = repo.validate(append="platform:\n  kms_key: arn:aws:kms:us-east-1:111111111111:alias/ml\n")
    assert (out.only("arn").where, out.only("arn").message) == (
        "mlops.yaml:27:12", "ARN is in region us-east-1, but the platform region is eu-west-1")


def test_secret_arn_in_another_account(repo):
    out = repo.validate(append="        secrets:\n          DB: arn:aws:secretsmanager:eu-west-1:999999999999:secret:db\n")
    problem = out.only("arn")
    assert (problem.where, problem.path) == ("mlops.yaml:27:15", "pipelines.retrain.stages.evaluate.secrets.DB")
    assert problem.message == "ARN is in account 999999999999, but the platform account is 111111111111"


def test_arn_in_the_platform_file_disagreeing_with_its_account(repo):
    # Rule: the platform file's own ARNs agree with its account; line 5, col 21, path as in that file.
    repo.write_platform(PLATFORM.replace("arn:aws:sns:eu-west-1:111111111111", "arn:aws:sns:eu-west-1:333333333333"))
    out = repo.validate()
    problem = out.only("arn")
    assert (problem.where, problem.path) == ("platform.yaml:5:21", "notification_topic")
    assert problem.message == "ARN is in account 333333333333, but the platform account is 111111111111"


# --- environment overlays -------------------------------------------------------------------

def test_overlay_may_move_an_environment_to_another_account(repo):
    # An overlay MAY override platform keys (prod in another account): no conflict.
    out = repo.validate(append=PROD_PLATFORM)
    assert (out.exit_code, out.problems) == (0, [])
    assert out.stderr.strip() == "1 config valid (2 environments)"


def test_overlay_changing_only_the_account_leaves_other_arns_behind(repo):
    # prod moves to 222222222222 but keeps the platform file's ARNs (account 111111111111):
    # each such ARN is reported where it is written, in the platform file.
    out = repo.validate(append="environments:\n  prod:\n    platform:\n      account: \"222222222222\"\n")
    assert [(p.rule, p.where, p.path) for p in out.problems] == [
        ("arn", "platform.yaml:5:21", "notification_topic"),
        ("arn", "platform.yaml:10:13", "roles.pipeline"),
        ("arn", "platform.yaml:11:9", "roles.task"),
    ]


def test_overlay_error_points_at_the_overlay_line(repo):
    # Rule: Fargate pairs, in the prod overlay: memory 1000 is on line 32, col 21, and the path
    # is shown as written, under environments.prod.
    out = repo.validate(append="environments:\n  prod:\n    pipelines:\n      retrain:\n        stages:\n"
                               "          train:\n            memory: 1000\n")
    problem = out.only("fargate-size")
    assert (problem.where, problem.path) == ("mlops.yaml:32:21",
                                             "environments.prod.pipelines.retrain.stages.train.memory")
    assert problem.message == "Fargate has no task size with cpu 1024 and memory 1000"


def test_overlay_unknown_key(repo):
    out = repo.validate(append="environments:\n  prod:\n    stage_defaults:\n      timout: 1h\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:29:7", "environments.prod.stage_defaults.timout")
    assert problem.hint == "did you mean 'timeout'?"


def test_overlay_schedule_error(repo):
    out = repo.validate(append="environments:\n  dev:\n    pipelines:\n      retrain:\n"
                               "        triggers: {schedule: rate(2 hour)}\n")
    problem = out.only("schedule")
    assert (problem.where, problem.path) == ("mlops.yaml:30:30", "environments.dev.pipelines.retrain.triggers.schedule")


def test_overlay_may_not_set_model_or_runtimes(repo):
    # Rule: model and runtimes are the same in every environment (lines 28 and 30); a typo of an
    # allowed key (line 31) gets a did-you-mean.
    out = repo.validate(append="environments:\n  prod:\n    model:\n      name: other\n    runtimes: {}\n"
                               "    stage_default: {}\n")
    assert [(p.rule, p.where, p.path, p.message, p.hint) for p in out.problems] == [
        ("schema", "mlops.yaml:28:5", "environments.prod.model", "unknown key 'model'",
         "'model' is the same in every environment: set it once at the top level"),
        ("schema", "mlops.yaml:30:5", "environments.prod.runtimes", "unknown key 'runtimes'",
         "'runtimes' is the same in every environment: set it once at the top level"),
        ("schema", "mlops.yaml:31:5", "environments.prod.stage_default", "unknown key 'stage_default'",
         "did you mean 'stage_defaults'?"),
    ]


def test_environment_name_pattern(repo):
    out = repo.validate(append="environments:\n  Prod: {}\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:27:3", "environments.Prod")
    assert problem.message == "'Prod' is not a valid name here"


def test_problem_in_the_base_found_in_every_environment_is_reported_once(repo):
    out = repo.validate(replace={"        memory: 2048\n": "        memory: 1024\n"},
                        append="environments:\n  dev: {}\n  prod: {}\n")
    assert [(p.rule, p.where, p.path) for p in out.problems] == [("fargate-size", "mlops.yaml:22:17", "pipelines.retrain.stages.train.memory")]


def test_overlay_fixing_a_base_value(repo):
    # The base memory is invalid only for environments that do not override it: here all do.
    out = repo.validate(replace={"        memory: 2048\n": "        memory: 1024\n"},
                        append="environments:\n  prod:\n    pipelines: {retrain: {stages: {train: {memory: 4096}}}}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_secret_in_an_overlay_is_reported_there_without_its_value(repo):
    # Rule: no secrets in `environment`, in overlays too; the value is at line 30, col 20.
    token = "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"
    out = repo.validate(append=f"environments:\n  prod:\n    stage_defaults:\n      environment:\n        API_TOKEN: {token}\n")
    problem = out.only("secret-in-config")
    assert (problem.where, problem.path) == ("mlops.yaml:30:20", "environments.prod.stage_defaults.environment.API_TOKEN")
    assert problem.message == "the value looks like a secret: GitHub Token"
    assert token not in out.output
