"""Structural problems (the JSON Schema pass): unknown keys, enums, types, required keys,
durations. Each test names the rule and the exact `file:line:col` and path."""

import pytest


def test_unknown_key_with_did_you_mean(repo):
    # Rule: unknown keys are errors; `timout` (line 9) is one letter from `timeout`. Points at the key.
    out = repo.validate(replace={"  timeout: 30m\n": "  timout: 30m\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:9:3", "stage_defaults.timout")
    assert (problem.message, problem.hint) == ("unknown key 'timout'", "did you mean 'timeout'?")


def test_unknown_key_in_a_stage(repo):
    # Rule: stages take the stage settings only; `memroy` on line 22 of train.
    out = repo.validate(replace={"        memory: 2048\n": "        memroy: 2048\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:22:9", "pipelines.retrain.stages.train.memroy")
    assert problem.hint == "did you mean 'memory'?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(repo):
    # Rule: unknown top-level key `zzz` (line 26); nothing is close, so the hint lists what is allowed.
    out = repo.validate(append="zzz: 1\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:26:1", "zzz")
    assert problem.hint == ("allowed keys here: build, environments, model, monitor, pipelines, platform, runtimes, "
                            "stage_defaults, version")


def test_unknown_stage_name(repo):
    # Rule: retrain stages are validate, transform, tune, train, evaluate; `evaluation` is not one.
    out = repo.validate(replace={"      evaluate:\n": "      evaluation:\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:23:7", "pipelines.retrain.stages.evaluation")
    assert problem.hint == "did you mean 'evaluate'?"


def test_a_stage_of_its_own_without_kind_is_one_unknown_stage(repo):
    # Rule: a stage that is not a well-known one is the model's own and says its kind and after.
    out = repo.validate(replace={"      evaluate:\n": "      features:\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path, problem.message) == (
        "mlops.yaml:23:7", "pipelines.retrain.stages.features", "unknown stage 'features'")
    assert "says its `kind` (processing, training, tuning or evaluate)" in problem.hint


def test_bad_enum_with_did_you_mean(repo):
    # Rule: compute is fargate or sagemaker; `fargat` (line 21, col 18) is close to fargate.
    out = repo.validate(replace={"        cpu: 1024\n": "        compute: fargat\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:21:18", "pipelines.retrain.stages.train.compute")
    assert problem.message == "must be one of fargate, sagemaker; got 'fargat'"
    assert problem.hint == "did you mean 'fargate'?"


def test_bad_enum_in_an_inline_list(repo):
    # Rule: register.approval is manual or auto; `automatic` is at line 26, col 26.
    out = repo.validate(append="    register: {approval: automatic}\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:26:26", "pipelines.retrain.register.approval")
    assert problem.message == "must be one of manual, auto; got 'automatic'"
    assert problem.hint == "did you mean 'auto'?"


def test_fargate_cpu_is_an_enum(repo):
    # Rule: cpu is one of Fargate's CPU sizes; 1000 is not.
    out = repo.validate(replace={"        cpu: 1024\n": "        cpu: 1000\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:21:14", "pipelines.retrain.stages.train.cpu")
    assert problem.message == "must be one of 256, 512, 1024, 2048, 4096, 8192, 16384; got 1000"


def test_type_error_is_reported_once(repo):
    # Rule: memory is a whole number of MiB; `lots` (line 22, col 17) is a string. The Fargate
    # size rule says nothing more about a value the schema rejected.
    out = repo.validate(replace={"        memory: 2048\n": "        memory: lots\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:22:17", "pipelines.retrain.stages.train.memory")
    assert problem.message == "must be a whole number, got a string"


def test_type_error_number_for_string_hints_at_quoting(repo):
    # Rule: a schedule is a string; `5` (line 17, col 17) is a number.
    out = repo.validate(replace={'      schedule: "rate(1 day)"\n': "      schedule: 5\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:17:17", "pipelines.retrain.triggers.schedule")
    assert problem.message == "must be a string, got a number"
    assert problem.hint.startswith("quote the value")


def test_type_error_list_for_map(repo):
    # Rule: `environment` is a map; a list (line 10's value starts on line 11, col 5) is not.
    out = repo.validate(replace={"    LOG_LEVEL: info\n": "    - LOG_LEVEL\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:11:5", "stage_defaults.environment")
    assert problem.message == "must be a map, got a list"
    assert problem.hint == "write `key: value` pairs, not a list (`- item`)"


def test_empty_value_is_a_type_error(repo):
    # Rule: `timeout:` with nothing after it is null, not a duration; the empty value sits
    # right after the colon (line 9, col 11).
    out = repo.validate(replace={"  timeout: 30m\n": "  timeout:\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:9:11", "stage_defaults.timeout")
    assert problem.message == "must be a string, got nothing"
    assert problem.hint == "the value is empty: give one, or remove the key"


def test_wrong_version(repo):
    # Rule: only config version 1 exists.
    out = repo.validate(replace={"version: 1\n": "version: 2\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path, problem.message) == ("mlops.yaml:1:10", "version", "must be 1, got 2")
    assert problem.hint == "only version 1 of the config language exists"


def test_missing_required_key_points_at_the_parent(repo):
    # Rule: model.name is required; the problem points at `model:` (line 2), the map missing it.
    out = repo.validate(replace={"  name: demo-model\n": "  owner: someone\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:2:1", "model.name")
    assert problem.message == "missing required key 'name'"


def test_missing_required_top_level_key(repo):
    # Rule: runtimes is required. Removing it (lines 4 to 6) leaves its stage references dangling
    # too, but the schema's problem is the one that matters: missing `runtimes`, at the top level.
    text = repo.config().replace("runtimes:\n  app:\n    dockerfile: Dockerfile\n", "")
    out = repo.validate(text=text)
    problem = out.at("runtimes", "schema")
    assert (problem.where, problem.message) == ("mlops.yaml:1:1", "missing required key 'runtimes'")


def test_missing_train_stage(repo):
    # Rule: retrain needs a train stage; `stages:` is on line 18.
    out = repo.validate(replace={"      train:\n": "      transform:\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:18:5", "pipelines.retrain.stages.train")
    assert problem.message == "missing required key 'train'"


def test_all_problems_are_reported_at_once(repo):
    # Three independent mistakes on lines 3, 9 and 21: all reported, in file order.
    out = repo.validate(replace={"  name: demo-model\n": "  name: Demo_Model\n",
                                 "  timeout: 30m\n": "  timeout: 30 minutes\n",
                                 "        cpu: 1024\n": "        cpu: 1025\n"})
    assert [(p.rule, p.where, p.path) for p in out.problems] == [
        ("schema", "mlops.yaml:3:9", "model.name"),
        ("schema", "mlops.yaml:9:12", "stage_defaults.timeout"),
        ("schema", "mlops.yaml:21:14", "pipelines.retrain.stages.train.cpu"),
    ]


def test_model_name_pattern(repo):
    # Rule: model names are 3 to 32 lowercase letters, digits and '-'; 33 characters is too long.
    out = repo.validate(replace={"  name: demo-model\n": "  name: " + "a" * 33 + "\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:3:9", "model.name")
    assert problem.message == f"'{'a' * 33}' is not in the expected form"
    assert problem.hint.startswith("use 3 to 32 lowercase letters")


@pytest.mark.parametrize("written", ["90", "1.5h", "0s", "90 s", "2w", "1H", "-5m", "1h30m"])
def test_bad_durations(repo, written):
    # Rule: durations are `<whole number><s|m|h|d>` (line 9, col 12).
    out = repo.validate(replace={"  timeout: 30m\n": f"  timeout: {written}\n"})
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:9:12", "stage_defaults.timeout")
    if written == "90":  # YAML reads a bare 90 as a number
        assert problem.message == "must be a string, got a number"
    else:
        assert problem.message == f"'{written}' is not in the expected form"
        assert problem.hint == "write a whole number and one unit, e.g. 90s, 30m, 2h or 1d"


@pytest.mark.parametrize("written", ["90s", "30m", "2h", "1d"])
def test_good_durations(repo, written):
    out = repo.validate(replace={"  timeout: 30m\n": f"  timeout: {written}\n"})
    assert (out.exit_code, out.problems) == (0, [])


def test_duration_in_a_retry_block(repo):
    # Rule: retry.interval is a duration; `soon` is at line 26, col 44.
    out = repo.validate(append="        retry: {max_attempts: 3, interval: soon}\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:26:44", "pipelines.retrain.stages.evaluate.retry.interval")


def test_environments_that_is_not_a_map(repo):
    # Rule: `environments` is a map of overlays; `true` (line 26, col 15) is not (and is no crash).
    out = repo.validate(append="environments: true\n")
    problem = out.only("schema")
    assert (problem.where, problem.path) == ("mlops.yaml:26:15", "environments")
    assert problem.message == "must be a map, got true/false"
