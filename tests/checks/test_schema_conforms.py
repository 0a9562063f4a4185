"""compiler/checks/schema_conforms.py answers "certainly valid" without importing jsonschema, so that
a config without problems never pays jsonschema's import. It may answer "not sure" for valid data
(jsonschema then runs and reports nothing); it must never answer "valid" where jsonschema reports
an error. These tests compare the two on the samples and on hypothesis' configs."""

import copy
import subprocess
import sys

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import package_data
from compiler.checks import schema_conforms
from helpers import BASE_CONFIG, SAMPLES, tree_paths

VALIDATOR = jsonschema.Draft202012Validator(package_data.schema())
CONFIGS = {"base": yaml.safe_load(BASE_CONFIG)}
CONFIGS.update({path.parent.name: yaml.safe_load(path.read_text()) for path in sorted(SAMPLES.glob("*/mlops.yaml"))})


def jsonschema_finds_nothing(data) -> bool:
    return next(iter(VALIDATOR.iter_errors(data)), None) is None


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_valid_configs_are_known_valid_without_jsonschema(name):
    # Otherwise every process would import jsonschema after all.
    assert jsonschema_finds_nothing(CONFIGS[name])
    assert schema_conforms.conforms(CONFIGS[name])


TARGETS = sorted((name, path) for name, data in CONFIGS.items() for path in tree_paths(data) if path)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 100_000), st.floats(allow_nan=True), st.just(1.0),
                    st.text(max_size=12), st.sampled_from(["app", "fargate", "sagemaker", "ml.m5.large", "30m", "rate(1 day)",
                                                           "s3://b/p/", "auc", "endpoint", "lambda", "", "x" * 300]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
# An edit: replace a value, delete it, copy another value of the same config there, add a key, or
# move a number a little (past a minimum or a maximum).
edits = st.lists(st.tuples(st.sampled_from(["replace", "delete", "copy", "add", "nudge"]), st.integers(0, 10**6), VALUES,
                           st.sampled_from(["x", "name", "runtime", "image", "extra", "cpu", "", "bad key", "9", "a" * 300]), st.integers(-3000, 3000)),
                 min_size=1, max_size=3)


def edit(data, changes):
    data = copy.deepcopy(data)
    for kind, where, value, key, amount in changes:
        paths = [p for p in tree_paths(data) if p]
        if not paths:
            break
        path = paths[where % len(paths)]
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if kind == "replace":
            parent[path[-1]] = value
        elif kind == "delete":
            del parent[path[-1]]
        elif kind == "copy":
            source = paths[(where // 7) % len(paths)]
            node = data
            for step in source:
                node = node[step]
            parent[path[-1]] = copy.deepcopy(node)
        elif kind == "nudge":
            old = parent[path[-1]]
            if isinstance(old, (int, float)) and not isinstance(old, bool):
                parent[path[-1]] = old + amount
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][key] = value
    return data


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(name=st.sampled_from(sorted(CONFIGS)), changes=edits)
def test_known_valid_only_when_jsonschema_finds_nothing(name, changes):
    data = edit(CONFIGS[name], changes)
    if schema_conforms.conforms(data):
        assert jsonschema_finds_nothing(data), list(VALIDATOR.iter_errors(data))[:1]


def test_an_unknown_keyword_makes_it_unsure(monkeypatch):
    schema = copy.deepcopy(package_data.schema())
    schema["properties"]["version"]["multipleOf"] = 1
    monkeypatch.setattr(package_data, "schema", lambda: schema)
    assert not schema_conforms.conforms(CONFIGS["base"])


def test_validating_a_valid_config_does_not_import_jsonschema():
    script = ("import sys; from compiler import api; v = api.validate(sys.argv[1:2], sys.argv[2]); "
              "assert v.ok, v.problems; print('jsonschema' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(SAMPLES), str(SAMPLES / "mlops-platform.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr


ODD_VALUES = ["", " ", "bad key", "a" * 300, "UPPER", "x", -1, 0, 1, 10**9, 1.5, 1.0, True, None, [], {}, ["x"], ["x", "x"],
              [f"x{i}" for i in range(300)], {"x": "y"}]
ODD_KEYS = ["", "bad key", "9", "a" * 300, "-x", "x"]


def _neighbours(data):
    """Every config one step from `data`: each value replaced by each odd value, each map given each odd key."""
    for path in tree_paths(data):
        node = data
        for step in path:
            node = node[step]
        if path:
            for value in ODD_VALUES:
                yield edit_at(data, path, lambda parent, last, v=value: parent.__setitem__(last, v))
        if isinstance(node, dict):
            for key in ODD_KEYS:
                yield edit_at(data, path + (key,), lambda parent, last: parent.__setitem__(last, "x"))


def edit_at(data, path, change):
    data = copy.deepcopy(data)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    change(parent, path[-1])
    return data


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_known_valid_only_when_jsonschema_finds_nothing_next_to_each_sample(name):
    known_valid = 0
    for data in _neighbours(CONFIGS[name]):
        if schema_conforms.conforms(data):
            known_valid += 1
            assert jsonschema_finds_nothing(data), list(VALIDATOR.iter_errors(data))[:1]
    assert known_valid  # some neighbours are valid: the comparison is not vacuous
