"""`mlopsc validate DIR` in a monorepo: every mlops.yaml below DIR, hidden folders and
virtualenvs skipped, problems reported per file."""

from helpers import BASE_CONFIG


def _model(root, folder, text=None):
    """A model repository at root/folder; by default BASE_CONFIG named after the folder."""
    if text is None:
        text = BASE_CONFIG.replace("name: demo-model", f"name: {folder.rsplit('/', 1)[-1]}-model")
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / "Dockerfile").write_text("FROM scratch\n")
    (root / folder / "mlops.yaml").write_text(text)


def test_finds_every_config_below_a_folder(repo):
    _model(repo.root, "models/churn")
    _model(repo.root, "models/fraud", BASE_CONFIG.replace("demo-model", "fraud").replace("        memory: 2048\n", "        memory: 1024\n"))
    _model(repo.root, "models/nested/deeper/forecast", BASE_CONFIG.replace("demo-model", "forecast").replace("version: 1\n", "version: 2\n"))
    out = repo.run("validate", "models", "--platform", "platform.yaml")
    assert out.exit_code == 1
    assert [(p.rule, p.where, p.path) for p in out.problems] == [
        ("fargate-size", "models/fraud/mlops.yaml:22:17", "pipelines.retrain.stages.train.memory"),
        ("schema", "models/nested/deeper/forecast/mlops.yaml:1:10", "version"),
    ]


def test_valid_monorepo_counts_configs(repo):
    _model(repo.root, "models/a")
    _model(repo.root, "models/b")
    out = repo.run("validate", "models", "--platform", "platform.yaml")
    assert (out.exit_code, out.stderr) == (0, "2 configs valid (2 environments)\n")


def test_skips_hidden_folders_and_virtualenvs(repo):
    bad = "version: [\n"  # would be a problem if it were read
    _model(repo.root, "models/good")
    _model(repo.root, "models/.git/hooks", bad)
    _model(repo.root, "models/.cache/x", bad)
    _model(repo.root, "models/tools-venv/lib/pkg", bad)
    (repo.root / "models/tools-venv/pyvenv.cfg").write_text("home = /usr/bin\n")
    _model(repo.root, "models/node_modules/pkg", bad)
    out = repo.run("validate", "models", "--platform", "platform.yaml")
    assert (out.exit_code, out.problems, out.stderr) == (0, [], "1 config valid (1 environment)\n")


def test_a_repository_root_uses_its_own_config_only(repo):
    # A path holding mlops.yaml is one model repository: folders below it are not searched.
    _model(repo.root, "vendored/other", "version: [\n")
    out = repo.run("validate", ".", "--platform", "platform.yaml")
    assert (out.exit_code, out.problems) == (0, [])


def test_a_config_file_path_and_several_paths(repo):
    _model(repo.root, "m1")
    _model(repo.root, "m2", BASE_CONFIG.replace("demo-model", "m2-model").replace("version: 1\n", "version: 2\n"))
    out = repo.run("validate", "m1/mlops.yaml", "m2", "--platform", "platform.yaml")
    assert [(p.rule, p.where, p.path) for p in out.problems] == [("schema", "m2/mlops.yaml:1:10", "version")]


def test_the_same_config_named_twice_is_checked_once(repo):
    out = repo.run("validate", ".", "mlops.yaml", "--platform", "platform.yaml")
    assert out.stderr == "1 config valid (1 environment)\n"


def test_default_path_is_the_current_folder(repo):
    out = repo.run("validate", "--platform", "platform.yaml")
    assert (out.exit_code, out.stderr) == (0, "1 config valid (1 environment)\n")


def test_a_load_error_in_one_config_does_not_hide_the_others(repo):
    _model(repo.root, "models/a", "")
    _model(repo.root, "models/b", BASE_CONFIG.replace("version: 1\n", "version: 2\n"))
    out = repo.run("validate", "models", "--platform", "platform.yaml")
    assert [(p.rule, p.where, p.message) for p in out.problems] == [
        ("load", "models/a/mlops.yaml:1:1", "file is empty"),
        ("schema", "models/b/mlops.yaml:1:10", "must be 1, got 2"),
    ]


def test_two_configs_with_one_model_name(repo):
    # Rule: model names are unique across the configs checked together (outputs and AWS names
    # derive from them); the second config's `name` (line 3, col 9) is the problem.
    _model(repo.root, "models/a", BASE_CONFIG)
    _model(repo.root, "models/b", BASE_CONFIG)
    out = repo.run("validate", "models", "--platform", "platform.yaml")
    problem = out.only("duplicate-model")
    assert (problem.where, problem.path) == ("models/b/mlops.yaml:3:9", "model.name")
    assert problem.message == "model 'demo-model' is also defined in models/a/mlops.yaml"
    assert out.exit_code == 1
