"""`mlopsc graph`: the Mermaid and DOT output parsed back structurally (every line must match the
grammar subset the renderer emits): every state exactly once as a node with its name as label,
inside its Map/Parallel's subgraph; every Next/Default/Choice/Catch transition an edge between the
right ids; Catch edges dashed. That the real tools accept the text is tests/graph/test_graph_tools.py."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from compile_helpers import HOSTILE, SAMPLES, compile_samples, invoke, make_repo
from compiler import graph

# --------------------------------------------------------------------------- the expected graph


def expected(definition: dict):
    """(id -> (name, type, parent id or None), Counter of (source, target, kind, catch label)),
    ids s1, s2... in definition order, depth first: the documented contract."""
    nodes, edges, counter = {}, Counter(), [0]

    def scope(machine, parent):
        ids = {}
        pending = []
        for name, state in machine["States"].items():
            counter[0] += 1
            sid = f"s{counter[0]}"
            ids[name] = sid
            nodes[sid] = (name, state["Type"], parent)
            inner = []
            if state["Type"] == "Map":
                inner = [state.get("ItemProcessor") or state["Iterator"]]
            elif state["Type"] == "Parallel":
                inner = state["Branches"]
            starts = [scope(branch, sid) for branch in inner]
            pending.append((sid, state, starts))
        for sid, state, starts in pending:
            for start in starts:
                edges[(sid, start, "branch", None)] += 1
            for rule in state.get("Choices", []):
                edges[(sid, ids[rule["Next"]], "solid", None)] += 1
            if "Default" in state:
                edges[(sid, ids[state["Default"]], "solid", None)] += 1
            if "Next" in state:
                edges[(sid, ids[state["Next"]], "solid", None)] += 1
            for catcher in state.get("Catch", []):
                edges[(sid, ids[catcher["Next"]], "dashed", ", ".join(catcher["ErrorEquals"]))] += 1
        return ids[machine["StartAt"]]

    start = scope(definition, None)
    edges[("s0", start, "solid", None)] += 1
    return nodes, edges


# --------------------------------------------------------------------------- Mermaid, parsed

MERMAID_NODE = re.compile(r'^(s\d+)(\[\[|\{|\(\[|\(\(|\[|\()"([^"]*)"(\]\]|\}|\]\)|\)\)|\]|\))$')
MERMAID_EDGE = re.compile(r'^(s\d+) (-->|-\.->|==>)(?:\|"([^"]*)"\|)? (s\d+)$')
MERMAID_SUBGRAPH = re.compile(r'^subgraph (s\d+)_(group|branch\d+) \["([^"]*)"\]$')
MERMAID_SHAPES = {"Task": "[", "Choice": "{", "Wait": "(", "Pass": "(", "Succeed": "([", "Fail": "([",
                  "Map": "[[", "Parallel": "[["}


def mermaid_label(text: str) -> str:
    bare = re.sub(r"#\d+;", "", text.replace("<br>", ""))
    assert not re.search(r'[";|{}%<&#\n]', bare), f"unescaped character in {text!r}"
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text.replace("<br>", "\n"))


def parse_mermaid(text: str):
    """(id -> (label, opening bracket, enclosing state id), Counter of edges like expected())."""
    lines = text.split("\n")
    assert lines[0] == "flowchart TD" and lines[-1] == ""
    nodes, edges, stack = {}, Counter(), []
    for line in lines[1:-1]:
        line = line.strip()
        if (match := MERMAID_SUBGRAPH.match(line)):
            stack.append(match.group(1))
        elif line == "end":
            stack.pop()
        elif line == "direction TB":
            assert stack
        elif (match := MERMAID_NODE.match(line)):
            sid, opening, label, _ = match.groups()
            assert sid not in nodes, f"{sid} twice"
            parent = next((s for s in reversed(stack) if s != sid), None)
            nodes[sid] = (mermaid_label(label), opening, parent)
        elif (match := MERMAID_EDGE.match(line)):
            source, arrow, label, target = match.groups()
            kind = {"-->": "solid", "-.->": "dashed", "==>": "branch"}[arrow]
            edges[(source, target, kind, mermaid_label(label) if kind == "dashed" else None)] += 1
        else:
            pytest.fail(f"not a line of the Mermaid subset: {line!r}")
    assert not stack, "unclosed subgraph"
    return nodes, edges


# --------------------------------------------------------------------------- DOT, parsed

QUOTED = r'"((?:[^"\\\n]|\\.)*)"'
ATTRIBUTES = r"(?: \[(.*)\])?"
DOT_NODE = re.compile(rf"^(s\d+) \[label={QUOTED}(.*)\];$")
DOT_EDGE = re.compile(rf"^(s\d+) -> (s\d+){ATTRIBUTES};$")
DOT_CLUSTER = re.compile(r"^subgraph cluster_(s\d+)(?:_branch\d+)? \{$")
DOT_ATTRIBUTE = re.compile(rf"(\w+)=(?:{QUOTED}|([\w.]+))")


def dot_string(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def dot_attributes(text: str) -> dict:
    found = {}
    rest = DOT_ATTRIBUTE.sub(lambda m: found.setdefault(m.group(1), dot_string(m.group(2)) if m.group(2) is not None
                                                        else m.group(3)) and "", text or "")
    assert rest.replace(",", "").strip() == "", f"unparsed attributes {text!r}"
    return found


def parse_dot(text: str):
    lines = text.split("\n")
    assert lines[0] == "digraph state_machine {" and lines[-2:] == ["}", ""]
    nodes, edges, stack = {}, Counter(), []
    for line in lines[1:-2]:
        line = line.strip()
        if (match := DOT_CLUSTER.match(line)):
            stack.append(match.group(1))
        elif line == "}":
            stack.pop()
        elif line.startswith("label=") and stack:
            dot_attributes(line.rstrip(";"))
        elif line in ("node [fontname=Helvetica];", "edge [fontname=Helvetica];"):
            pass
        elif (match := DOT_NODE.match(line)):
            sid, label, rest = match.groups()
            assert sid not in nodes
            attributes = dot_attributes(rest)
            parent = next((s for s in reversed(stack) if s != sid), None)
            nodes[sid] = (dot_string(label), attributes["shape"], parent)
        elif (match := DOT_EDGE.match(line)):
            source, target, attrs = match.groups()
            attributes = dot_attributes(attrs)
            kind = {"dashed": "dashed", "bold": "branch"}.get(attributes.get("style"), "solid")
            edges[(source, target, kind, attributes.get("label") if kind == "dashed" else None)] += 1
        else:
            pytest.fail(f"not a line of the DOT subset: {line!r}")
    assert not stack
    return nodes, edges


DOT_SHAPES = {"Task": "box", "Choice": "diamond", "Wait": "box", "Pass": "box", "Succeed": "box", "Fail": "box",
              "Map": "box3d", "Parallel": "box3d"}


def dot_visible(name: str) -> str:
    """DOT labels keep newlines (as \\n) and show other control characters as spaces."""
    return "".join(c if c == "\n" or c.isprintable() else " " for c in name)


def check(definition: dict) -> None:
    want_nodes, want_edges = expected(definition)
    nodes, edges = parse_mermaid(graph.render(definition, "mermaid"))
    assert nodes.pop("s0")[0] == "start"
    assert {sid: (name, parent) for sid, (name, _, parent) in nodes.items()} == \
           {sid: (name, parent) for sid, (name, _, parent) in want_nodes.items()}
    assert {sid: shape for sid, (_, shape, _) in nodes.items()} == \
           {sid: MERMAID_SHAPES[kind] for sid, (_, kind, _) in want_nodes.items()}
    assert edges == want_edges

    nodes, edges = parse_dot(graph.render(definition, "dot"))
    assert nodes.pop("s0")[0] == "start"
    assert {sid: (dot_visible(name), DOT_SHAPES[kind], parent) for sid, (name, kind, parent) in want_nodes.items()} == nodes
    assert edges == want_edges


# --------------------------------------------------------------------------- the samples

@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "out"
    compile_samples(out)
    return out


def sample_definitions(out: Path):
    return sorted(out.glob("*/*/*.asl.json"))


def test_every_sample_pipeline_parses_back_to_its_definition(out):
    files = sample_definitions(out)
    assert len(files) >= 9 and any("batch" in f.name for f in files)
    for path in files:
        check(json.loads(path.read_text()))


def test_the_command_prints_the_pipeline_from_out_and_from_the_config(out):
    for path in sample_definitions(out):
        model, environment, pipeline = path.parent.parent.name, path.parent.name, path.name.split(".")[0]
        definition = json.loads(path.read_text())
        for output_format in ("mermaid", "dot"):
            result = invoke("graph", str(out), "--env", environment, "--model", model, "--pipeline", pipeline,
                            "--format", output_format)
            assert result.exit_code == 0, result.output
            assert result.output == graph.render(definition, output_format)
    source = SAMPLES / "demand-forecast"
    result = invoke("graph", str(source), "--env", "default", "--pipeline", "batch",
                    "--platform", str(SAMPLES / "mlops-platform.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output == graph.render(json.loads((out / "demand-forecast/default/batch.asl.json").read_text()))
    assert result.output.startswith("flowchart TD\n") and "subgraph" in result.output


def test_gates_and_catches_are_labelled(out):
    text = graph.render(json.loads((out / "fraud-scoring/prod/retrain.asl.json").read_text()))
    assert re.search(r'-->\|"\$\.metrics\.values\.auc >= 0\.\d+ and ', text)
    assert "IsPresent" not in text and "is numeric" not in text
    assert '-.->|"States.ALL"|' in text


def test_short_conditions():
    assert graph.condition({"Variable": "$.metrics.values['auc']", "NumericGreaterThanEquals": 0.8}) == \
        "$.metrics.values.auc >= 0.8"
    assert graph.condition({"Or": [{"Variable": "$.s", "StringEquals": "Failed"},
                                   {"Not": {"Variable": "$.t", "NumericLessThanPath": "$.u"}}]}) == \
        '$.s == "Failed" or not ($.t < $.u)'
    many = {"And": [{"Variable": f"$.v{i}", "NumericLessThan": i} for i in range(9)]}
    assert graph.condition(many) == "$.v0 < 0 and $.v1 < 1 and $.v2 < 2 and (+6 more)"


# --------------------------------------------------------------------------- hostile names

HOSTILE_NAMES = [*HOSTILE, 'a "quoted" [bracket] <b>|pipe|', "50% ; {x} #35; <br> end", "end", "subgraph",
                 "s1", "line\nbreak", "-->", "x\\"]


def hostile_definition() -> dict:
    names = list(dict.fromkeys(HOSTILE_NAMES))
    inner_names = [f"inner {n}" for n in names[:4]]
    states = {}
    for index, name in enumerate(names):
        following = names[index + 1] if index + 1 < len(names) else None
        state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Catch": [{"ErrorEquals": ['Err"|;%<x>{}', "States.ALL"], "Next": names[-1]}]}
        if following:
            state["Next"] = following
        else:
            state = {"Type": "Fail"}
        states[name] = state
    states[names[2]] = {"Type": "Choice", "Default": names[3],
                        "Choices": [{"Variable": '$.a["|;%"]', "StringEquals": 'x"} <y>', "Next": names[5]}]}
    states[names[4]] = {"Type": "Map", "Next": names[5], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": names[-1]}],
                        "ItemProcessor": {"StartAt": inner_names[0], "States": {
                            inner_names[0]: {"Type": "Wait", "Seconds": 1, "Next": inner_names[1]},
                            inner_names[1]: {"Type": "Parallel", "Next": inner_names[2], "Branches": [
                                {"StartAt": "b1 " + names[6], "States": {"b1 " + names[6]: {"Type": "Succeed"}}},
                                {"StartAt": "b2 " + names[7], "States": {"b2 " + names[7]: {"Type": "Pass", "End": True}}},
                            ]},
                            inner_names[2]: {"Type": "Pass", "Next": inner_names[3]},
                            inner_names[3]: {"Type": "Succeed"}}}}
    return {"StartAt": names[0], "States": states}


def test_hostile_state_names_stay_labels():
    definition = hostile_definition()
    check(definition)
    mermaid = graph.render(definition, "mermaid")
    for line in mermaid.splitlines()[1:]:
        assert re.match(r"^\s*(s\d+|subgraph s\d+_|end$|direction TB$)", line), line


def test_output_is_deterministic(out):
    definition = hostile_definition()
    for output_format in graph.FORMATS:
        first = graph.render(definition, output_format)
        assert graph.render(json.loads(json.dumps(definition)), output_format) == first
    path = out / "churn-fargate/default/retrain.asl.json"
    runs = {invoke("graph", str(out), "--env", "default", "--model", "churn-fargate", "--pipeline", "retrain").output
            for _ in range(3)}
    assert len(runs) == 1 and runs == {graph.render(json.loads(path.read_text()))}


# --------------------------------------------------------------------------- highlighted states

def test_highlighted_states_get_a_class_by_node_id(out):
    definition = json.loads((out / "demand-forecast/default/batch.asl.json").read_text())
    plain = graph.render(definition)
    nodes, _ = parse_mermaid(plain)
    ids = {label: sid for sid, (label, _, _) in nodes.items()}
    (map_state,) = [name for name, state in definition["States"].items() if state["Type"] == "Map"]
    inner = definition["States"][map_state]["ItemProcessor"]["StartAt"]
    first = definition["StartAt"]
    marked = graph.render(definition, "mermaid", highlight={first: "added", inner: "changed", map_state: "added",
                                                           "no such state": "changed"})
    assert marked.startswith(plain), "highlighting only adds lines at the end"
    assert marked[len(plain):].splitlines() == [
        f"    classDef added {graph.HIGHLIGHTS['added']}", f"    class {ids[first]},{ids[map_state]} added",
        f"    classDef changed {graph.HIGHLIGHTS['changed']}", f"    class {ids[inner]} changed"]


def test_highlight_names_never_reach_the_syntax_and_is_mermaid_only():
    definition = hostile_definition()
    marked = graph.render(definition, "mermaid", highlight={name: "changed" for name in definition["States"]})
    for line in marked.splitlines():
        if line.lstrip().startswith(("class ", "classDef ")):
            assert re.fullmatch(r"    (classDef changed [^\n]+|class (s\d+,)*s\d+ changed)", line), line
    with pytest.raises(ValueError):
        graph.render(definition, "dot", highlight={next(iter(definition["States"])): "added"})
    with pytest.raises(ValueError):
        graph.render(definition, "mermaid", highlight={next(iter(definition["States"])): "red; click"})


# --------------------------------------------------------------------------- exit codes

def test_usage_errors_exit_2(out):
    no_batch = invoke("graph", str(out), "--env", "prod", "--model", "fraud-scoring", "--pipeline", "batch")
    assert no_batch.exit_code == 2 and "has no batch pipeline" in no_batch.output
    several = invoke("graph", str(out), "--env", "prod", "--model", "fraud-scoring")
    assert several.exit_code == 2 and "--pipeline" in several.output
    unknown_env = invoke("graph", str(out), "--env", "qa", "--model", "fraud-scoring", "--pipeline", "retrain")
    assert unknown_env.exit_code == 2 and "qa" in unknown_env.output
    unknown_pipeline = invoke("graph", str(out), "--env", "prod", "--pipeline", "nightly")
    assert unknown_pipeline.exit_code == 2
    unknown_model = invoke("graph", str(out), "--env", "default", "--model", "nope", "--pipeline", "retrain")
    assert unknown_model.exit_code == 2 and "no model 'nope'" in unknown_model.output
    for result in (no_batch, several, unknown_env, unknown_pipeline, unknown_model):
        assert "Traceback" not in result.output


def test_invalid_config_exits_1_with_its_problems(tmp_path):
    repo = make_repo(tmp_path, "broken", {"version": 1, "model": {"name": "broken"}, "pipelines": {}})
    result = invoke("graph", str(repo), "--env", "default", "--pipeline", "retrain",
                    "--platform", str(tmp_path / "mlops-platform.yaml"))
    assert result.exit_code == 1, result.output
    assert "mlops.yaml" in result.output and "flowchart" not in result.output


# --------------------------------------------------------------------------- one .asl.json file

def test_one_definition_file_is_drawn_without_env(out, tmp_path):
    """A reviewer points at the one changed file: any ASL file is drawn, no --env, --model or --pipeline."""
    path = out / "demand-forecast/default/batch.asl.json"
    definition = json.loads(path.read_text())
    for output_format in graph.FORMATS:
        result = invoke("graph", str(path), "--format", output_format)
        assert result.exit_code == 0, result.output
        assert result.output == graph.render(definition, output_format)
    copy = tmp_path / "changed.json"  # outside OUT, any name ending .json
    copy.write_text(json.dumps(hostile_definition()))
    result = invoke("graph", str(copy))
    assert result.exit_code == 0, result.output
    check(hostile_definition())
    assert result.output == graph.render(hostile_definition())


@pytest.mark.parametrize("content, reason", [
    ("{ not json", "not JSON"),
    ("[1, 2]", "not a state machine: the definition is not a JSON object"),
    ('{"Comment": "x"}', 'no "States" object'),
    ('{"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}', '"StartAt" does not name one of its States'),
    ('{"StartAt": "A", "States": {"A": 3}}', 'state "A" is not an object with a string "Type"'),
    ('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": ["B"]}}}', 'is not a state name'),
    ('{"StartAt": "A", "States": {"A": {"Type": "Task", "Catch": [{"ErrorEquals": 1, "Next": "A"}]}}}',
     '"ErrorEquals" is not a list'),
    ('{"StartAt": "A", "States": {"A": {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {}}}}}',
     'ItemProcessor has no "States" object'),
    ('{"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": {"b": 1}}}}', '"Branches" is not a list'),
])
def test_a_file_that_is_no_state_machine_is_refused_with_file_and_reason(tmp_path, content, reason):
    path = tmp_path / "x.asl.json"
    path.write_text(content)
    result = invoke("graph", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.output and reason in result.output and "hint:" in result.output
    assert "Traceback" not in result.output and "flowchart" not in result.output


def test_a_file_takes_no_env_and_a_repository_needs_one(out, tmp_path):
    path = out / "demand-forecast/default/batch.asl.json"
    with_env = invoke("graph", str(path), "--env", "default")
    assert with_env.exit_code == 2 and "do not apply" in with_env.output
    without_env = invoke("graph", str(out), "--model", "demand-forecast", "--pipeline", "batch")
    assert without_env.exit_code == 2 and "--env" in without_env.output and "Traceback" not in without_env.output


def test_any_json_value_is_drawn_or_refused_never_a_traceback(tmp_path):
    """Random JSON shaped like ASL: the command exits 0 with a graph or 2 with a reason."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    names = st.sampled_from(["A", "B", "C"])
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), names)
    value = st.recursive(scalar, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["Type", "Next", "Default", "Choices", "Catch", "ErrorEquals", "Variable",
                                         "And", "Or", "Not", "StringEquals", "Branches", "ItemProcessor",
                                         "Iterator", "StartAt", "States", "A", "B"]), inner, max_size=4)),
        max_leaves=12)
    rule = st.dictionaries(st.sampled_from(["And", "Or", "Not", "Variable", "Next", "NumericEqualsPath"]),
                           st.one_of(value, st.lists(st.one_of(value, st.dictionaries(
                               st.sampled_from(["And", "Or", "Not", "Variable", "IsPresent"]), value)), max_size=3)))
    state = st.fixed_dictionaries({"Type": st.sampled_from(["Task", "Choice", "Map", "Parallel", "Pass"])},
                                  optional={"Next": value, "Choices": st.lists(rule, max_size=3), "Catch": value,
                                            "Branches": value,
                                            "ItemProcessor": value, "Default": value})
    machine = st.fixed_dictionaries({"StartAt": names, "States": st.dictionaries(names, st.one_of(state, value))})
    path = tmp_path / "fuzz.asl.json"

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(machine, value))
    def drawn_or_refused(definition):
        path.write_text(json.dumps(definition))
        result = invoke("graph", str(path))
        assert result.exit_code in (0, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception

    drawn_or_refused()


def test_odd_choice_rules_are_drawn_not_crashed_on(tmp_path):
    """A Choice rule whose And/Or is not a list (a hand-written file, before verify): drawn, no internal error."""
    path = tmp_path / "odd.asl.json"
    path.write_text(json.dumps({"StartAt": "A", "States": {"A": {
        "Type": "Choice", "Default": "A", "Choices": [{"And": 3, "Next": "A"}, {"Not": {"Or": "x"}, "Next": "A"}]}}}))
    result = invoke("graph", str(path))
    assert result.exit_code == 0, result.output
