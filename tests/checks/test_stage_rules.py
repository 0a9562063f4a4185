"""Semantic rules about stages and runtimes: Fargate sizes, runtime references, build paths,
secrets and reserved variables in `environment`, schedules. Each test names the rule and the
exact `file:line:col` and path."""

import os

import pytest

FARGATE_1024 = "with cpu 1024, memory may be 2048, 3072, 4096, 5120, 6144, 7168, 8192 (MiB)"


# --- Fargate cpu/memory pairs -------------------------------------------------------------

def test_fargate_pair_on_a_stage(repo):
    # Rule: Fargate has no 1024 CPU / 1024 MiB task; memory is on line 22, col 17.
    out = repo.validate(replace={"        memory: 2048\n": "        memory: 1024\n"})
    problem = out.only("fargate-size")
    assert (problem.where, problem.path) == ("mlops.yaml:22:17", "pipelines.retrain.stages.train.memory")
    assert problem.message == "Fargate has no task size with cpu 1024 and memory 1024"
    assert problem.hint == FARGATE_1024


def test_fargate_pair_inherited_from_stage_defaults(repo):
    # Rule: evaluate inherits memory 3000 from stage_defaults (line 9) with the default cpu 1024;
    # the problem points at the line that set memory, once.
    out = repo.validate(replace={"  timeout: 30m\n": "  memory: 3000\n"})
    problem = out.only("fargate-size")
    assert (problem.where, problem.path) == ("mlops.yaml:9:11", "stage_defaults.memory")
    assert problem.message == "Fargate has no task size with cpu 1024 and memory 3000"


def test_fargate_pair_with_cpu_only_points_at_cpu(repo):
    # Rule: cpu 4096 needs 8192..30720 MiB; train sets only cpu (line 21), memory is the default 2048.
    out = repo.validate(replace={"        memory: 2048\n": "        timeout: 1h\n",
                                 "        cpu: 1024\n": "        cpu: 4096\n"})
    problem = out.only("fargate-size")
    assert (problem.where, problem.path) == ("mlops.yaml:21:14", "pipelines.retrain.stages.train.cpu")
    assert problem.message == "Fargate has no task size with cpu 4096 and memory 2048"
    assert problem.hint == "with cpu 4096, memory may be 8192 to 30720 in steps of 1024 (MiB)"


@pytest.mark.parametrize("cpu,memory", [(256, 512), (256, 2048), (512, 4096), (2048, 16384), (16384, 122880)])
def test_valid_fargate_pairs(repo, cpu, memory):
    out = repo.validate(replace={"        cpu: 1024\n": f"        cpu: {cpu}\n",
                                 "        memory: 2048\n": f"        memory: {memory}\n"})
    assert (out.exit_code, out.problems) == (0, [])


def test_sagemaker_stage_takes_no_fargate_sizes(repo):
    # Rule: cpu/memory apply to Fargate only; train runs on SageMaker (line 20) but sets cpu (line 21).
    out = repo.validate(replace={"        command: [python, train.py]\n": "        compute: sagemaker\n"})
    assert [(p.rule, p.where, p.path, p.message) for p in out.problems] == [
        ("stage-compute", "mlops.yaml:21:14", "pipelines.retrain.stages.train.cpu", "'cpu' does not apply to sagemaker compute"),
        ("stage-compute", "mlops.yaml:22:17", "pipelines.retrain.stages.train.memory", "'memory' does not apply to sagemaker compute"),
    ]


def test_ecs_service_size(repo):
    # Rule: the ecs-service deploy target is a Fargate service too: 512 CPU needs 1024+ MiB (line 29, col 33).
    out = repo.validate(append="  deploy:\n    target: ecs-service\n    runtime: app\n"
                               "    service: {cpu: 512, memory: 512}\n")
    problem = out.only("fargate-size")
    assert (problem.where, problem.path) == ("mlops.yaml:29:33", "pipelines.deploy.service.memory")
    assert problem.message == "Fargate has no task size with cpu 512 and memory 512"


# --- runtime references -------------------------------------------------------------------

def test_unknown_runtime_in_stage_defaults(repo):
    # Rule: stages name a runtime defined under `runtimes`; `ap` (line 8, col 12) is not, `app` is.
    out = repo.validate(replace={"  runtime: app\n": "  runtime: ap\n"})
    problem = out.only("runtime-ref")
    assert (problem.where, problem.path) == ("mlops.yaml:8:12", "stage_defaults.runtime")
    assert problem.message == "runtime 'ap' is not defined under `runtimes`"
    assert problem.hint == "did you mean 'app'?"


def test_unknown_runtime_on_a_stage(repo):
    # Rule: as above, on evaluate (line 26); nothing is close, so the hint lists the runtimes.
    out = repo.validate(append="        runtime: trainer\n")
    problem = out.only("runtime-ref")
    assert (problem.where, problem.path) == ("mlops.yaml:26:18", "pipelines.retrain.stages.evaluate.runtime")
    assert problem.hint == "runtimes defined: app"


def test_unknown_runtime_for_deploy(repo):
    # Rule: the deploy target names a runtime too (line 28, col 14).
    out = repo.validate(append="  deploy:\n    target: lambda\n    runtime: serve\n")
    problem = out.only("runtime-ref")
    assert (problem.where, problem.path) == ("mlops.yaml:28:14", "pipelines.deploy.runtime")
    assert problem.message == "runtime 'serve' is not defined under `runtimes`"


def test_stage_without_any_runtime(repo):
    # Rule: a runtime is required somewhere; without stage_defaults.runtime (line 8) neither stage
    # has one. Each stage is reported at its key (train line 19, evaluate line 23).
    out = repo.validate(replace={"  runtime: app\n": "  compute: fargate\n"})
    assert [(p.rule, p.where, p.path, p.message) for p in out.problems] == [
        ("runtime-ref", "mlops.yaml:19:7", "pipelines.retrain.stages.train", "stage 'train' has no runtime"),
        ("runtime-ref", "mlops.yaml:23:7", "pipelines.retrain.stages.evaluate", "stage 'evaluate' has no runtime"),
    ]


# --- dockerfile and context paths ---------------------------------------------------------

def test_dockerfile_missing(repo):
    # Rule: the dockerfile exists in the repository (line 6, col 17).
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    dockerfile: docker/train.Dockerfile\n"})
    problem = out.only("build-path")
    assert (problem.where, problem.path) == ("mlops.yaml:6:17", "runtimes.app.dockerfile")
    assert problem.message == "file does not exist in the repository"


def test_context_missing(repo):
    # Rule: the build context is a directory of the repository; `src` (col 39) does not exist.
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    {dockerfile: Dockerfile, context: src}\n"})
    problem = out.only("build-path")
    assert (problem.where, problem.path) == ("mlops.yaml:6:39", "runtimes.app.context")
    assert problem.message == "directory does not exist in the repository"


def test_context_is_a_file(repo):
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    {dockerfile: Dockerfile, context: Dockerfile}\n"})
    assert (out.only("build-path").where, out.only("build-path").path, out.only("build-path").message) == (
        "mlops.yaml:6:39", "runtimes.app.context", "must be a directory")


def test_dockerfile_escapes_with_dotdot(repo):
    # Rule: no `..` out of the repository, even when the target exists (the platform file's folder
    # holds a Dockerfile-like file here).
    (repo.root.parent / "Shared.Dockerfile").write_text("FROM scratch\n")
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    dockerfile: ../Shared.Dockerfile\n"})
    problem = out.only("build-path")
    assert (problem.where, problem.path) == ("mlops.yaml:6:17", "runtimes.app.dockerfile")
    assert problem.message == "points outside the repository"


def test_context_escapes_with_dotdot(repo):
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    {dockerfile: Dockerfile, context: ../..}\n"})
    assert (out.only("build-path").where, out.only("build-path").path, out.only("build-path").message) == (
        "mlops.yaml:6:39", "runtimes.app.context", "points outside the repository")


def test_dotdot_that_stays_inside_is_fine(repo):
    (repo.root / "docker").mkdir()
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    dockerfile: docker/../Dockerfile\n"})
    assert (out.exit_code, out.problems) == (0, [])


def test_absolute_dockerfile_path(repo):
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    dockerfile: /etc/passwd\n"})
    assert (out.only("build-path").where, out.only("build-path").path, out.only("build-path").message) == (
        "mlops.yaml:6:17", "runtimes.app.dockerfile", "must be a path relative to the repository root")


def test_dockerfile_symlink_escape(repo):
    # Rule: a symbolic link inside the repository may not lead outside it.
    outside = repo.root.parent / "outside.Dockerfile"
    outside.write_text("FROM scratch\n")
    os.symlink(outside, repo.root / "Linked.Dockerfile")
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    dockerfile: Linked.Dockerfile\n"})
    problem = out.only("build-path")
    assert (problem.where, problem.path) == ("mlops.yaml:6:17", "runtimes.app.dockerfile")
    assert problem.message == "is a symbolic link that leads outside the repository"


def test_context_symlink_escape(repo):
    (repo.root.parent / "elsewhere").mkdir()
    os.symlink(repo.root.parent / "elsewhere", repo.root / "ctx")
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    {dockerfile: Dockerfile, context: ctx}\n"})
    assert (out.only("build-path").where, out.only("build-path").path, out.only("build-path").message) == (
        "mlops.yaml:6:39", "runtimes.app.context", "is a symbolic link that leads outside the repository")


def test_symlink_inside_the_repository_is_fine(repo):
    os.symlink(repo.root / "Dockerfile", repo.root / "Alias.Dockerfile")
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": "    dockerfile: Alias.Dockerfile\n"})
    assert (out.exit_code, out.problems) == (0, [])


# --- secrets and reserved names in `environment` ------------------------------------------

@pytest.mark.parametrize("line,col,name", [
    ("    LOG_LEVEL: AKIAIOSFODNN7EXAMPLE\n", 16, "LOG_LEVEL"),              # an AWS access key id
    ("    DB_PASSWORD: hunter2\n", 18, "DB_PASSWORD"),                        # a secret's name
    ("    DB_URL: postgres://app:s3cr3tpw@db:5432/x\n", 13, "DB_URL"),         # credentials in a URL
    ("    BLOB: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u\n", 11, "BLOB"),  # high entropy
])
def test_secret_looking_environment_value(repo, line, col, name):
    # Rule: environment values that look like secrets are refused (line 11); use `secrets:`.
    out = repo.validate(replace={"    LOG_LEVEL: info\n": line})
    problem = out.only("secret-in-config")
    assert (problem.where, problem.path) == (f"mlops.yaml:11:{col}", f"stage_defaults.environment.{name}")
    assert problem.message.startswith("the value looks like a secret: ")
    secret = line.split(": ", 1)[1].strip()
    assert secret not in out.output


def test_ordinary_environment_values_are_not_secrets(repo):
    out = repo.validate(replace={"    LOG_LEVEL: info\n": "    {LOG_LEVEL: info, TOKEN_FILE: /run/token, "
                                                        "DATA: 's3://demo-data/raw/2024/01/features.parquet'}\n"})
    assert (out.exit_code, out.problems) == (0, [])


def test_secret_in_a_stage_environment_points_at_the_stage(repo):
    out = repo.validate(append="        environment: {API_KEY: sk-live-0123456789abcdef}\n")
    problem = out.only("secret-in-config")
    assert (problem.where, problem.path) == ("mlops.yaml:26:32", "pipelines.retrain.stages.evaluate.environment.API_KEY")
    assert "sk-live-0123456789abcdef" not in out.output


def test_secret_as_secrets_arn_is_fine(repo):
    out = repo.validate(append="        secrets: {API_KEY: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:api-AbCdEf'}\n")
    assert (out.exit_code, out.problems) == (0, [])


def test_reserved_mlops_variable_in_stage_defaults(repo):
    # Rule: MLOPS_* variables belong to the stage contract; the key is at line 11, col 5.
    out = repo.validate(replace={"    LOG_LEVEL: info\n": "    MLOPS_STAGE: mine\n"})
    problem = out.only("reserved-environment")
    assert (problem.where, problem.path) == ("mlops.yaml:11:5", "stage_defaults.environment.MLOPS_STAGE")
    assert problem.message == "MLOPS_STAGE is set by mlopsc (the stage contract)"
    assert problem.hint == "choose a name that does not start with MLOPS_"


def test_reserved_mlops_variable_on_a_stage(repo):
    out = repo.validate(append="        environment: {MLOPS_RUN_ID: x}\n")
    assert (out.only("reserved-environment").where, out.only("reserved-environment").path) == (
        "mlops.yaml:26:23", "pipelines.retrain.stages.evaluate.environment.MLOPS_RUN_ID")


def test_variable_both_in_environment_and_secrets(repo):
    # Rule: a variable comes from one place; DB is in environment (line 26) and secrets (line 27).
    out = repo.validate(append="        environment: {DB: x}\n"
                               "        secrets: {DB: 'arn:aws:ssm:eu-west-1:111111111111:parameter/db'}\n")
    problem = out.only("variable-set-twice")
    assert (problem.where, problem.path) == ("mlops.yaml:27:19", "pipelines.retrain.stages.evaluate.secrets.DB")
    assert problem.message == "DB is set both in `environment` and in `secrets`"


# --- schedules ----------------------------------------------------------------------------

SCHEDULE = '      schedule: "rate(1 day)"\n'


@pytest.mark.parametrize("expression,message", [
    ("rate(1 days)", "with a value of 1, EventBridge requires the singular unit: rate(1 day)"),
    ("rate(2 day)", "with a value above 1, EventBridge requires the plural unit: rate(2 days)"),
    ("rate(0 hours)", "a rate must be at least 1"),
    ("rate(5 seconds)", "rate expressions look like rate(5 minutes), rate(1 hour) or rate(7 days)"),
    ("cron(0 3 * * *)", "cron expressions have six fields (minutes hours day-of-month month day-of-week year), got 5"),
    ("cron(0 3 * * MON *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(61 3 * * ? *)", "minutes field '61' is not valid (allowed 0-59, with , - * /)"),
    ("daily", "must be rate(...) or cron(...)"),
])
def test_bad_schedule(repo, expression, message):
    # Rule: EventBridge schedule syntax; the expression is at line 17, col 17.
    out = repo.validate(replace={SCHEDULE: f'      schedule: "{expression}"\n'})
    problem = out.only("schedule")
    assert (problem.where, problem.path) == ("mlops.yaml:17:17", "pipelines.retrain.triggers.schedule")
    assert problem.message == message


@pytest.mark.parametrize("expression", ["rate(1 day)", "rate(7 days)", "rate(1 minute)", "rate(15 minutes)",
                                        "cron(0 3 * * ? *)", "cron(0 2 ? * MON *)", "cron(0/15 * * * ? *)",
                                        "cron(0 3 L * ? *)", "cron(0 3 ? * 6#3 *)", "cron(0 8 1-5 JAN,JUL ? 2030)"])
def test_good_schedule(repo, expression):
    out = repo.validate(replace={SCHEDULE: f'      schedule: "{expression}"\n'})
    assert (out.exit_code, out.problems) == (0, [])


def test_batch_schedule_is_checked_too(repo):
    out = repo.validate(append="  batch:\n    mode: mini\n    runtime: app\n    input: s3://demo-data/score/\n"
                               "    output: s3://demo-data/preds/\n    schedule: rate(1 hours)\n")
    problem = out.only("schedule")
    assert (problem.where, problem.path) == ("mlops.yaml:31:15", "pipelines.batch.schedule")
    assert problem.message == "with a value of 1, EventBridge requires the singular unit: rate(1 hour)"
