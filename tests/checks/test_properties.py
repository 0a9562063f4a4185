"""Property: whatever the input, `mlopsc validate` exits 0, or exits 1 printing only
`file:line:col: error: ...` lines (and their hints); never a traceback, never another code."""

import re
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import BASE_CONFIG, PLATFORM, SAMPLES, run_cli, tree_paths

pytestmark = pytest.mark.e2e  # hypothesis drives the whole CLI hundreds of times

LINE = re.compile(r"^(.+:\d+:\d+: error: .*|  hint: .*)$")
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SOURCES = {"base": BASE_CONFIG.encode()}
SOURCES.update({path.parent.name: path.read_bytes() for path in sorted(SAMPLES.glob("*/mlops.yaml"))})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of every sample repository (Dockerfiles included) plus the base repository."""
    root = tmp_path_factory.mktemp("fuzz")
    for name in SOURCES:
        if name == "base":
            (root / name).mkdir()
            (root / name / "Dockerfile").write_text("FROM scratch\n")
        else:
            shutil.copytree(SAMPLES / name, root / name, ignore=shutil.ignore_patterns("mlops.yaml"))
    (root / "platform.yaml").write_text(PLATFORM)
    return root


def check(workdir, name: str, content: bytes, fmt: str = "text") -> None:
    (workdir / name / "mlops.yaml").write_bytes(content)
    out = run_cli(["validate", name, "--platform", "platform.yaml", "--format", fmt], workdir)
    assert out.exit_code in (0, 1), out.output
    assert "Traceback" not in out.output
    if fmt == "text":
        assert all(LINE.match(line) for line in out.stdout.splitlines()), out.stdout
        assert (out.exit_code == 1) == bool(out.stdout)


# --- mutated samples --------------------------------------------------------------------------

def _delete_line(lines, i, _):
    return lines[:i] + lines[i + 1:]


def _duplicate_line(lines, i, _):
    return lines[:i + 1] + lines[i:]


def _reindent(lines, i, n):
    return lines[:i] + [b" " * (n % 9) + lines[i].lstrip(b" ")] + lines[i + 1:]


def _swap_lines(lines, i, n):
    j = n % len(lines)
    lines = list(lines)
    lines[i], lines[j] = lines[j], lines[i]
    return lines


LINE_EDITS = [_delete_line, _duplicate_line, _reindent, _swap_lines]
YAML_SNIPPETS = [b":", b"- ", b"{", b"}", b"[", b"]", b"&a ", b"*a", b"<<: ", b"---\n", b"\t", b"'", b'"', b"#",
                 b"? ", b"!!python/object:os.system ", b"~", b"\x00", b"\xff", b"\xc3", b"yes", b"1e3", b"0x1F"]

edit = st.one_of(
    st.tuples(st.just("line"), st.sampled_from(LINE_EDITS), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("byte"), st.integers(0, 10_000), st.binary(min_size=0, max_size=3)),
    st.tuples(st.just("snippet"), st.integers(0, 10_000), st.sampled_from(YAML_SNIPPETS)),
)


def mutate(text: bytes, edits) -> bytes:
    for kind, *args in edits:
        if kind == "line":
            func, where, n = args
            lines = text.splitlines(keepends=True)
            if lines:
                text = b"".join(func(lines, where % len(lines), n))
        elif kind == "byte":
            where, replacement = args
            where = where % (len(text) + 1)
            text = text[:where] + replacement + text[where + 1:]
        else:
            where, snippet = args
            where = where % (len(text) + 1)
            text = text[:where] + snippet + text[where:]
    return text


@SETTINGS
@given(name=st.sampled_from(sorted(SOURCES)), edits=st.lists(edit, min_size=1, max_size=4))
def test_mutated_configs_never_crash(workdir, name, edits):
    check(workdir, name, mutate(SOURCES[name], edits))


# --- random YAML ------------------------------------------------------------------------------

def _vocabulary():
    words = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str):
                    words.add(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    for text in SOURCES.values():
        walk(yaml.safe_load(text))
    return sorted(words)


KEYS = st.one_of(st.sampled_from(_vocabulary()), st.text(min_size=1, max_size=8))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.sampled_from(["rate(1 day)", "cron(0 3 * * ? *)", "30m", "s3://b/p/", "app", "fargate",
                                     "sagemaker", "arn:aws:iam::111111111111:role/x", "../x", "/etc/passwd",
                                     "MLOPS_X", "AKIAIOSFODNN7EXAMPLE"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)


@SETTINGS
@given(data=st.dictionaries(KEYS, VALUES, max_size=6), fmt=st.sampled_from(["text", "json", "github"]))
def test_random_yaml_never_crashes(workdir, data, fmt):
    check(workdir, "base", yaml.safe_dump(data, allow_unicode=True).encode(), fmt)


SAMPLE_DATA = {name: yaml.safe_load(text) for name, text in SOURCES.items()}
SAMPLE_PATHS = sorted((name, path) for name, data in SAMPLE_DATA.items() for path in tree_paths(data) if path)


@SETTINGS
@given(target=st.sampled_from(SAMPLE_PATHS), value=VALUES, drop=st.booleans())
def test_valid_config_with_one_random_value_never_crashes(workdir, target, value, drop):
    # Semantic rules see nearly valid configs with one odd value: the likeliest way to crash a rule.
    name, path = target
    data = yaml.safe_load(SOURCES[name])
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    check(workdir, name, yaml.safe_dump(data, allow_unicode=True).encode())
