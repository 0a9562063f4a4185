"""What the loader refuses before any meaning is judged: each test names the rule it breaks
and the exact `file:line:col` and path the problem is reported at."""

import pytest

from compiler import load
from helpers import BASE_CONFIG


@pytest.fixture(autouse=True, params=["libyaml", "pure"])
def loader_path(request, monkeypatch):
    """Every refusal is checked on both of the loader's paths: libyaml's (when PyYAML has it) and
    PyYAML's pure one, used when libyaml is absent (tests/checks/test_load_paths.py)."""
    if request.param == "pure":
        monkeypatch.setattr(load, "_LibyamlLoader", None)


# Nine anchors, each a list of nine aliases of the previous one: 9**9 values once expanded.
BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_duplicate_key_points_at_the_second_one(repo):
    # Rule: a key may appear once per map. `runtime` is on line 8; line 9 repeats it.
    out = repo.validate(replace={"  timeout: 30m\n": "  runtime: app\n"})
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:9:3", "stage_defaults.runtime")
    assert problem.message == "duplicate key 'runtime' (first defined on line 8)"
    assert out.exit_code == 1


def test_duplicate_top_level_key(repo):
    # Rule: `model` (line 2) written a second time on line 26.
    out = repo.validate(append="model:\n  name: other-model\n")
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:26:1", "model")
    assert problem.message == "duplicate key 'model' (first defined on line 2)"


def test_duplicate_key_in_a_flow_map(repo):
    # Rule: duplicate keys are refused in `{...}` maps too; the second `metric` is at col 27.
    out = repo.validate(replace={"          - {metric: auc, at_least: 0.8}\n":
                                 "          - {metric: auc, metric: f1, at_least: 0.8}\n"})
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:25:27", "pipelines.retrain.stages.evaluate.gate[0].metric")
    assert problem.message.startswith("duplicate key 'metric'")


def test_billion_laughs_is_refused(repo):
    # Rule: alias expansion is limited (100 000 values); the file would expand to 9**9 strings, so
    # without the budget this test would not finish. (Speed is measured in bench/, not here.)
    out = repo.validate(text=BILLION_LAUGHS)
    problem = out.only("load")
    assert problem.message == "file expands to more than 100000 values"
    assert problem.hint == "anchors and aliases are expanded; do not nest aliases of aliases"
    # The value that crosses the budget is one of the "lol"s of anchor `a` (aliases share its node).
    assert (problem.file, problem.line, problem.path) == ("mlops.yaml", 1, "(top level)")
    assert out.exit_code == 1


def test_merge_key_bomb_is_refused(repo):
    # Rule: `<<` merges expand too, and count against the same budget (each level doubles).
    lines = ["a0: &a0 {k: x}"] + [f"a{i}: &a{i} {{<<: *a{i - 1}, k{i}: *a{i - 1}}}" for i in range(1, 40)]
    out = repo.validate(text="\n".join(lines) + "\n")
    assert out.only("load").message == "file expands to more than 100000 values"


def test_too_deep_nesting_in_flow_style(repo):
    # Rule: at most 64 levels of nesting; the 65th `[` on line 2 starts at col 4 + 64 = 68.
    out = repo.validate(text="version: 1\nx: " + "[" * 100 + "]" * 100 + "\n")
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:2:67", "(top level)")
    assert problem.message == "nesting deeper than 64 levels; refused"
    assert "indentation" not in problem.hint


def test_too_deep_nesting_in_block_style(repo):
    # Rule: at most 64 levels; key k63 (line 65, indent 126) opens the 65th level.
    text = "version: 1\n" + "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v: 1\n"
    out = repo.validate(text=text)
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:65:127", "(top level)")
    assert problem.message == "nesting deeper than 64 levels; refused"


def test_too_large_file(repo):
    # Rule: configs are at most 1 MiB; the size is checked before the file is parsed.
    text = "version: 1\n# " + "x" * (1 << 20) + "\n"
    out = repo.validate(text=text)
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:1:1", "(top level)")
    assert problem.message == f"file is {len(text):,} bytes; a config is limited to 1,048,576 bytes"


def test_not_utf8_points_at_the_bad_byte(repo):
    # Rule: configs are UTF-8; 0xe9 (Latin-1 "é") is the 12th byte of line 3.
    (repo.root / "mlops.yaml").write_bytes(b"version: 1\nmodel:\n  name: caf\xe9\n")
    out = repo.run("validate", ".", "--platform", "platform.yaml")
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:3:12", "(top level)")
    assert problem.message == "file is not UTF-8 (byte 0xe9)"
    assert problem.hint == "save the file as UTF-8"


def test_utf16_is_not_utf8(repo):
    # Rule: configs are UTF-8; a UTF-16 byte order mark is refused at its first byte.
    (repo.root / "mlops.yaml").write_bytes(b"\xff\xfe" + BASE_CONFIG.encode("utf-16-le"))
    out = repo.run("validate", ".", "--platform", "platform.yaml")
    assert (out.only("load").where, out.only("load").message) == ("mlops.yaml:1:1", "file is not UTF-8 (byte 0xff)")


def test_utf8_byte_order_mark_is_accepted(repo):
    (repo.root / "mlops.yaml").write_bytes(b"\xef\xbb\xbf" + BASE_CONFIG.encode())
    out = repo.run("validate", ".", "--platform", "platform.yaml")
    assert (out.exit_code, out.problems) == (0, [])


def test_control_character_is_a_problem_not_a_crash(repo):
    # Rule: YAML allows no control characters; in `  name: demo<NUL>model` (line 3) the NUL is col 13.
    (repo.root / "mlops.yaml").write_bytes(BASE_CONFIG.encode().replace(b"demo-model", b"demo\x00model"))
    out = repo.run("validate", ".", "--platform", "platform.yaml")
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:3:13", "(top level)")
    assert problem.message == "not valid YAML: character #x0000 is not allowed"


def test_empty_file(repo):
    # Rule: a config is not empty.
    out = repo.validate(text="")
    problem = out.only("load")
    assert (problem.where, problem.path, problem.message) == ("mlops.yaml:1:1", "(top level)", "file is empty")
    assert problem.hint == "start with `version: 1`"


def test_blank_file_is_empty(repo):
    out = repo.validate(text="  \n\n")
    assert (out.only("load").where, out.only("load").message) == ("mlops.yaml:1:1", "file is empty")


def test_only_comments(repo):
    # Rule: a config holds a YAML document, not just comments.
    out = repo.validate(text="# nothing here yet\n")
    assert (out.only("load").where, out.only("load").message) == ("mlops.yaml:1:1", "file holds no YAML content")


def test_top_level_list(repo):
    # Rule: the top level is a map of keys.
    out = repo.validate(text="- version: 1\n- model: {}\n")
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:1:1", "(top level)")
    assert problem.message == "the top level must be a map of keys"


def test_top_level_scalar(repo):
    # Rule: the top level is a map of keys; a document that is one string is not. It starts on line 2.
    out = repo.validate(text="# a comment\njust some text\n")
    assert (out.only("load").where, out.only("load").message) == ("mlops.yaml:2:1", "the top level must be a map of keys")


def test_tab_indentation(repo):
    # Rule: YAML indents with spaces; line 9 is indented with a tab.
    out = repo.validate(replace={"  timeout: 30m\n": "\ttimeout: 30m\n"})
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:9:1", "(top level)")
    assert problem.message == "not valid YAML: tab character where YAML allows only spaces"
    assert problem.hint == "indent with spaces; YAML forbids tabs for indentation"


def test_tab_after_a_key(repo):
    # Rule: PyYAML refuses a tab where a value should start; the tab is col 11 of line 9.
    out = repo.validate(replace={"  timeout: 30m\n": "  timeout:\t30m\n"})
    assert (out.only("load").where, out.only("load").message) == (
        "mlops.yaml:9:11", "not valid YAML: tab character where YAML allows only spaces")


def test_multiple_documents(repo):
    # Rule: one YAML document per file; the second starts at the `---` on line 26.
    out = repo.validate(append="---\nversion: 1\n")
    problem = out.only("load")
    assert (problem.where, problem.path) == ("mlops.yaml:26:1", "(top level)")
    assert problem.message == "file holds more than one YAML document"
    assert problem.hint == "keep one document: remove the extra `---` separators"


def test_explicit_document_start_is_fine(repo):
    out = repo.validate(text="---\n" + BASE_CONFIG)
    assert (out.exit_code, out.problems) == (0, [])


def test_yaml_syntax_error(repo):
    # Rule: the file parses; the flow list opened on line 20 is never closed.
    out = repo.validate(replace={"        command: [python, train.py]\n": "        command: [python, train.py\n"})
    problem = out.only("load")
    assert (problem.file, problem.line, problem.path) == ("mlops.yaml", 21, "(top level)")
    assert problem.message.startswith("not valid YAML: ")


def test_a_key_must_be_a_scalar(repo):
    # Rule: keys are plain words; `? [a, b]` on line 26 is a list used as a key.
    out = repo.validate(append="? [a, b]\n: value\n")
    problem = out.only("load")
    assert (problem.where, problem.message) == ("mlops.yaml:26:3", "a key must be a plain word, not a list or map")


def test_dates_stay_strings(repo):
    # Rule: YAML timestamps are not typed (a config never means a datetime): `owner: 2024-01-01`
    # is the string it looks like, and valid.
    out = repo.validate(replace={"  name: demo-model\n": "  {name: demo-model, owner: 2024-01-01}\n"})
    assert (out.exit_code, out.problems) == (0, [])


def test_merge_keys_are_expanded(repo):
    # `<<` and aliases are supported (within the budget): a validate stage built from them is valid.
    out = repo.validate(replace={"  timeout: 30m\n": "  timeout: &t 30m\n"},
                        append="      validate:\n        <<: {command: [python, v.py], timeout: *t}\n")
    assert (out.exit_code, out.problems) == (0, [])
