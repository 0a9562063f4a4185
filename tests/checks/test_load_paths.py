"""The loader has two paths: libyaml's C parser (fast) and PyYAML's pure-Python one (always there).
Whatever the text, `load_bytes` gives what the pure path gives: the same data, the same mark on
every value and key, the same refusal in the same words at the same place. libyaml is used only
where it reads like PyYAML; these tests compare the two on every stored YAML file, on mutated
configs, and on each kind of text where libyaml is known to read differently.
(tests/checks/test_load_errors.py runs every refusal on both paths.)"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import load
from compiler.problems import ConfigError
from helpers import BASE_CONFIG, REPO_ROOT

pytestmark = pytest.mark.skipif(load._LibyamlLoader is None, reason="PyYAML was built without libyaml")

STORED_YAML = sorted(path for pattern in ("samples/**/*.yaml", "samples/**/*.yml", "tests/**/*.yaml")
                     # a link (a fixture linked to /dev/null) is not stored YAML: its target is read elsewhere
                     for path in REPO_ROOT.glob(pattern) if "node_modules" not in path.parts and not path.is_symlink())


def read(raw: bytes, loader_class):
    """(data, locations) or the refusal as (file, line, col, message, hint), through one path."""
    try:
        text = load._decode(raw, "f")
        document = load._build(raw, "f", load._compose(text, "f", loader_class))
    except ConfigError as error:
        p = error.problem
        return ("refused", p.line, p.col, p.message, p.hint)
    return (document.data, document.locations)


def loaded(raw: bytes):
    """What load_bytes gives (the path it chooses), in read()'s form."""
    try:
        document = load.load_bytes(raw, "f")
    except ConfigError as error:
        p = error.problem
        return ("refused", p.line, p.col, p.message, p.hint)
    return (document.data, document.locations)


def test_there_are_stored_yaml_files_to_compare():
    assert len(STORED_YAML) >= 5, STORED_YAML


@pytest.mark.parametrize("path", STORED_YAML, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_stored_yaml_reads_the_same_on_both_paths(path):
    raw = path.read_bytes()
    pure = read(raw, load._PureLoader)
    if load._libyaml_reads_like_pyyaml(raw.decode("utf-8-sig", errors="replace")):
        assert read(raw, load._LibyamlLoader) == pure
    assert loaded(raw) == pure


# Each text libyaml reads differently from PyYAML: the first field is what differs without the guard.
LIBYAML_DIFFERS = {
    # YAML 1.2 allows a tab after `:`; PyYAML refuses it (test_load_errors.py::test_tab_after_a_key).
    "tab after a key": BASE_CONFIG.replace("  timeout: 30m\n", "  timeout:\t30m\n"),
    # PyYAML ends a plain scalar at `?` in a flow list, then refuses the `?`; libyaml keeps "train?x.py".
    "? in a flow list": BASE_CONFIG.replace("[python, train.py]", "[python, train?x.py]"),
    "? in a flow map": BASE_CONFIG.replace("{metric: auc,", "{metric: a?uc,"),
    # A byte order mark inside the text: libyaml's columns after it are one further.
    "byte order mark inside": BASE_CONFIG.replace("runtime: app", "runtime\ufeff: app"),
    # Unicode line breaks: PyYAML counts a line more than libyaml after them.
    "NEL": BASE_CONFIG.replace("name: demo-model\n", "name: demo-model\x85\n"),
    "line separator": BASE_CONFIG.replace("name: demo-model\n", "name: demo-model\u2028\n"),
    "paragraph separator": BASE_CONFIG.replace("name: demo-model\n", "name: demo-model\u2029\n"),
}


@pytest.mark.parametrize("text", LIBYAML_DIFFERS.values(), ids=LIBYAML_DIFFERS.keys())
def test_where_libyaml_reads_differently_the_pure_reading_is_given(text):
    raw = text.encode()
    pure, fast = read(raw, load._PureLoader), read(raw, load._LibyamlLoader)
    was_guarded = not load._libyaml_reads_like_pyyaml(text) or fast[0] == "refused"
    assert was_guarded, "libyaml's reading would reach users"
    assert loaded(raw) == pure


def test_libyaml_is_used_for_an_ordinary_config(monkeypatch):
    # The fast path is really taken (else this whole file would compare the pure path with itself).
    def no_pure_loader(text):
        raise AssertionError("the pure loader was used")
    monkeypatch.setattr(load, "_PureLoader", no_pure_loader)
    assert load.load_bytes(BASE_CONFIG.encode(), "mlops.yaml").data["model"] == {"name": "demo-model"}


# --- mutated configs: whatever libyaml accepts, it reads as PyYAML does ------------------------------

SNIPPETS = ["\t", " ", ":", ": ", "- ", "? ", "?", ",", "[", "]", "{", "}", "'", '"', "#", "&a ", "*a", "<<: *a\n",
            "!!str ", "!x ", "|\n", ">-\n", "---\n", "...\n", "%YAML 1.1\n", "\n", "\r\n", "\r", "\\", "@", "`",
            "\ufeff", "\x85", "\u2028", "\u2029", "\xa0", "é", "\U0001F600", "~", "yes", "0x1F", "1e3", "2024-01-01"]
edits = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 1), st.sampled_from(SNIPPETS)), min_size=1, max_size=4)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutate(text: str, changes) -> str:
    for where, replace, snippet in changes:
        where %= len(text) + 1
        text = text[:where] + snippet + text[where + replace:]
    return text


@SETTINGS
@given(changes=edits)
def test_mutated_configs_read_the_same_on_both_paths(changes):
    raw = mutate(BASE_CONFIG, changes).encode()
    assert loaded(raw) == read(raw, load._PureLoader)
