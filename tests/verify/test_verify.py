"""`mlopsc verify` and the proof `mlopsc compile` runs (compiler/verify).

- the corpus (tests/verify/verify_corpus): each definition is proven or refused as its Comment says, and
  together they exercise every field verify reads;
- every golden state machine and every compiled sample is proven;
- compile refuses (exit 70, nothing written) a definition it cannot prove;
- the command line: formats and exit codes; aws_shapes.json is what the installed botocore gives.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compile_helpers import GOLDEN, SAMPLES, SAMPLES_PLATFORM, invoke
from compiler import verify
from compiler.verify import analyze
from compiler.render.naming import Naming
from paths import REPO_ROOT

CORPUS = Path(__file__).resolve().parent / "verify_corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.asl.json"))
EXPECT = re.compile(r"^EXPECT (?:(?P<proven>PROVEN)\.|REFUSED: (?P<refused>.*?)) WHY: ", re.S)


def corpus_case(path: Path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    schema_file = path.with_name(path.name.replace(".asl.json", ".input.json"))
    schema = json.loads(schema_file.read_text(encoding="utf-8")) if schema_file.exists() else None
    match = EXPECT.match(definition["Comment"])
    assert match, f"{path.name}: its Comment must start with EXPECT PROVEN. or EXPECT REFUSED: ... WHY:"
    expected = set()
    if match.group("refused"):
        for item in match.group("refused").split("; "):
            state, field, read = (part.strip() for part in item.split(" | "))
            expected.add((state, "" if field == "-" else field, "" if read == "-" else read))
    return definition, schema, expected


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    definition, schema, expected = corpus_case(path)
    found = {(p.state, p.field, p.path) for p in verify.verify_definition(definition, schema)}
    assert found == expected


#: Every field verify reads, with a corpus definition that reads it and one refused read of it.
FIELDS = ["InputPath", "Parameters", "ResultSelector", "ItemSelector", "OutputPath", "ItemsPath", "Variable",
          "StringEqualsPath", "NumericGreaterThanPath", "ItemReader.Parameters", "ItemReader.ReaderConfig.MaxItemsPath",
          "ItemBatcher.MaxItemsPerBatchPath", "ItemBatcher.MaxInputBytesPerBatchPath", "ItemBatcher.BatchInput",
          "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ResultWriter.Parameters", "SecondsPath", "TimestampPath", "ErrorPath",
          "CausePath", "TimeoutSecondsPath", "HeartbeatSecondsPath"]
INTRINSICS = ["States.Format", "States.StringToJson", "States.Array", "States.MathAdd", "States.UUID",
              "States.JsonMerge", "States.ArrayGetItem", "States.StringSplit", "States.JsonToString"]
CONTEXT = ["$$.Execution.Id", "$$.Execution.Name", "$$.Execution.StartTime", "$$.Execution.Input",
           "$$.Execution.RoleArn", "$$.State.Name", "$$.State.EnteredTime", "$$.State.RetryCount",
           "$$.StateMachine.Id", "$$.StateMachine.Name", "$$.Task.Token", "$$.Map.Item.Index", "$$.Map.Item.Value"]
INTEGRATIONS = ["dynamodb:getItem", "sagemaker:createTrainingJob.sync", "sagemaker:createProcessingJob.sync",
                "sagemaker:createHyperParameterTuningJob.sync", "ecs:runTask.sync", "states:startExecution.sync",
                "lambda:invoke", "events:putEvents", "sns:publish", "aws-sdk:applicationautoscaling:registerScalableTarget",
                "aws-sdk:lambda:getFunctionConfiguration", "aws-sdk:ecs:describeServices"]


def test_corpus_covers_every_field():
    text = "\n".join(path.read_text(encoding="utf-8") for path in CORPUS_FILES)
    refused = {field for path in CORPUS_FILES for _, field, _ in corpus_case(path)[2]}
    for field in FIELDS:
        assert any(f == field or f.startswith(field + ".") or f.endswith("." + field) for f in refused), field
    for name in INTRINSICS + CONTEXT + INTEGRATIONS:
        assert name in text, name
    assert '"DISTRIBUTED"' in text and '"Parallel"' in text and '"Catch"' in text and '"IsPresent": false' in text


# ------------------------------------------------------------------------------ mlopsc's own output

GOLDEN_DEFINITIONS = sorted(GOLDEN.rglob("*.asl.json"))


@pytest.mark.parametrize("path", GOLDEN_DEFINITIONS, ids=lambda p: p.relative_to(GOLDEN).as_posix())
def test_golden_definitions_are_proven(path):
    findings = verify.verify_file_text(path.relative_to(GOLDEN).as_posix(), path.read_text(encoding="utf-8"),
                                       mlopsc_output=True)
    assert [f.text() for f in findings] == []


@pytest.mark.parametrize("sample", sorted(p.parent.name for p in SAMPLES.glob("*/mlops.yaml")))
def test_compiled_samples_are_proven(sample):
    from compiler import api, render

    validation = api.validate([str(SAMPLES / sample)], str(SAMPLES_PLATFORM))
    outputs = {f"{m.name}/{m.environment}": render.render_files(m) for m in validation.models}
    assert [f.text() for f in verify.verify_rendered(outputs)] == []


def test_every_integration_mlopsc_emits_has_its_response_shape():
    """For mlopsc's own output an integration absent from aws_shapes.json is a problem, not "unknown"."""
    from compiler.verify import aws

    emitted = set()
    for path in GOLDEN_DEFINITIONS:
        emitted |= {aws.integration(r) for r in re.findall(r'"Resource": "([^"]+)"', path.read_text(encoding="utf-8"))}
    emitted -= {"s3:listObjectsV2", "s3:putObject"}  # a Map's ItemReader and ResultWriter: their results are the Map's
    assert emitted and sorted(i for i in emitted if not aws.known(i)) == []
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun", "End": True}}}
    assert [p.detail for p in verify.verify_definition(definition, mlopsc_output=True)] == [
        "Resource glue:startJobRun: its response shape is not in compiler/verify/aws_shapes.json "
        "(add it to generate_shapes.INTEGRATIONS)"]
    assert verify.verify_definition(definition) == []


def test_aws_shapes_are_those_of_the_installed_botocore():
    """Stale when botocore (or generate_shapes.INTEGRATIONS) changed: run python -m compiler.verify.generate_shapes."""
    from compiler.verify import generate_shapes

    assert generate_shapes.DATA.read_text(encoding="utf-8") == generate_shapes.generate()


def test_pipeline_contracts_follow_what_starts_them():
    """The triggers' inputs (compiler/render/triggers.py) carry only members the contract names."""
    from compiler import api
    from compiler.render import triggers
    from compiler.verify import contracts

    validation = api.validate([str(SAMPLES)], str(SAMPLES_PLATFORM))
    seen = 0
    for model in validation.models:
        for rule in triggers.triggers(Naming(model))["rules"]:
            target = rule["Targets"][0]
            sent = target.get("Input") or target["InputTransformer"]["InputTemplate"]
            members = set(re.findall(r'"(\w+)":', sent))
            schema = contracts.pipeline_input(target["Id"])
            assert members <= set(schema["properties"]), rule["Name"]
            trigger = re.search(r'"trigger": "(\w+)"', sent).group(1)
            assert trigger in schema["properties"]["trigger"]["enum"]
            seen += 1
    assert seen
    from compiler.runs.pipelines import parse_input

    manual = json.loads(parse_input(None))  # `mlopsc run` without --input
    for pipeline in contracts.PIPELINES:
        schema = contracts.pipeline_input(pipeline)
        assert set(manual) <= set(schema["properties"]) and manual["trigger"] in schema["properties"]["trigger"]["enum"]


# ------------------------------------------------------------------------------ compile refuses

UNPROVABLE = json.dumps({"StartAt": "Read", "States": {"Read": {"Type": "Pass", "Parameters": {"v.$": "$.nowhere"},
                                                                  "End": True}}})


@pytest.mark.parametrize("check", [False, True])
def test_compile_refuses_a_definition_it_cannot_prove(monkeypatch, tmp_path, check):
    from compiler import render

    original = render.render_files

    def with_unprovable(model):
        files = dict(original(model))
        files["retrain.asl.json"] = UNPROVABLE
        return files

    monkeypatch.setattr(render, "render_files", with_unprovable)
    out = tmp_path / "out"
    result = invoke("compile", str(SAMPLES / "churn-fargate"), "--platform", str(SAMPLES_PLATFORM), "-o", str(out),
                    *(["--check"] if check else []))
    assert result.exit_code == 70, result.output
    assert (f"{out}/churn-fargate/default/retrain.asl.json: state 'Read': Parameters.v.$ reads $.nowhere, "
            "missing on the route Read") in result.output
    assert "this is a bug in mlopsc" in result.output
    assert not out.exists()


# ------------------------------------------------------------------------------ the command line

def write_definition(folder: Path, name: str, definition: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


PROVEN = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
                                     "B": {"Type": "Pass", "InputPath": "$.r.x", "End": True}}}
REFUSED = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
                                      "B": {"Type": "Pass", "InputPath": "$.r.y", "End": True}}}


def test_verify_command_exit_codes_and_text(tmp_path):
    proven = write_definition(tmp_path, "ok.asl.json", PROVEN)
    refused = write_definition(tmp_path, "bad.asl.json", REFUSED)
    assert invoke("verify", str(proven)).exit_code == 0
    result = invoke("verify", str(refused))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (f"{refused.as_posix()}: state 'B': InputPath reads $.r.y, missing on the route "
                                             "A -> B ($.r.y is absent; there $.r is {x})")
    assert invoke("verify", str(tmp_path)).exit_code == 1  # a folder: every .asl.json in it
    assert invoke("verify", str(tmp_path / "none.asl.json")).exit_code == 2
    assert invoke("verify").exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert invoke("verify", str(empty)).exit_code == 2


def test_verify_command_formats(tmp_path):
    refused = write_definition(tmp_path, "bad.asl.json", REFUSED)
    rows = json.loads(invoke("verify", str(refused), "--format", "json").stdout)
    assert rows == [{"file": refused.as_posix(), "state": "B", "field": "InputPath", "path": "$.r.y", "route": ["A", "B"],
                     "detail": "$.r.y is absent; there $.r is {x}",
                     "message": "state 'B': InputPath reads $.r.y, missing on the route A -> B ($.r.y is absent; there $.r is {x})"}]
    github = invoke("verify", str(refused), "--format", "github").output
    assert github.startswith("::error file=") and "title=mlopsc verify::state 'B'" in github


def test_input_schema_tightens_the_input(tmp_path):
    definition = write_definition(tmp_path, "m.asl.json", {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"v.$": "$.version"}, "End": True}}})
    assert invoke("verify", str(definition)).exit_code == 0  # not mlopsc's: the input is unknown
    schema = tmp_path / "input.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"version": {"type": "string"}}}))
    assert invoke("verify", str(definition), "--input-schema", str(schema)).exit_code == 1
    schema.write_text(json.dumps({"type": "object", "properties": {"version": {"type": "string"}}, "required": ["version"]}))
    assert invoke("verify", str(definition), "--input-schema", str(schema)).exit_code == 0


def test_an_out_folder_uses_the_pipelines_input_contract(tmp_path):
    """OUT/<model>/<env>/deploy.asl.json (a manifest.json beside it) starts with deploy's contract:
    `trigger` and `version` only maybe (`mlopsc run --input` may send neither); a guarded read is proven."""
    place = tmp_path / "m" / "default"
    place.mkdir(parents=True)
    (place / "manifest.json").write_text("{}")
    definition = {"StartAt": "Has trigger?", "States": {
        "Has trigger?": {"Type": "Choice", "Choices": [{"Variable": "$.trigger", "IsPresent": True, "Next": "A"}],
                         "Default": "Done"},
        "A": {"Type": "Pass", "Parameters": {"t.$": "$.trigger", "v.$": "$.version"}, "End": True},
        "Done": {"Type": "Succeed"}}}
    write_definition(place, "deploy.asl.json", definition)
    result = invoke("verify", str(tmp_path))
    assert result.exit_code == 1
    assert "reads $.version" in result.stdout and "reads $.trigger" not in result.stdout
    write_definition(place.parent.parent, "deploy.asl.json", definition)  # no manifest.json: not mlopsc's, input unknown
    assert invoke("verify", str(place.parent.parent / "deploy.asl.json")).exit_code == 0


def test_loops_reach_a_fixed_point_that_nests_values():
    """A loop that nests its input in itself is widened, not iterated for ever."""
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"prev.$": "$"}, "Next": "A"}}}
    assert verify.verify_definition(definition) == []


def test_problem_text_names_a_route_lacking_the_read():
    definition = {"StartAt": "Start", "States": {
        "Start": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Has a"}], "Default": "No a"},
        "Has a": {"Type": "Pass", "Next": "Use"},
        "No a": {"Type": "Pass", "Next": "Use"},
        "Use": {"Type": "Pass", "InputPath": "$.a", "End": True}}}
    problems = verify.verify_definition(definition, {"type": "object"})
    assert [p.text() for p in problems] == [
        "state 'Use': InputPath reads $.a, missing on the route Start -> No a -> Use "
        "($.a is absent; there $ is an object with no member known to be there)"]
    assert isinstance(problems[0], analyze.Problem)


def test_the_documented_example_is_real_output(monkeypatch):
    root = REPO_ROOT
    monkeypatch.chdir(root)  # the example names its file relative to the repository
    page = (root / "docs" / "verify.md").read_text(encoding="utf-8")
    example = re.search(r"```text\n\$ mlopsc verify (\S+)\n(.*?)\n```", page, re.S)
    result = invoke("verify", example.group(1))
    assert result.stdout + result.stderr == example.group(2) + "\n"


def test_an_unreadable_input_schema_is_a_usage_error(tmp_path):
    definition = write_definition(tmp_path, "m.asl.json", PROVEN)
    schema = tmp_path / "input.json"
    schema.write_text("{not json")
    assert invoke("verify", str(definition), "--input-schema", str(schema)).exit_code == 2


def test_a_file_that_is_not_a_definition_is_a_problem(tmp_path):
    (tmp_path / "broken.asl.json").write_text("{not json")
    write_definition(tmp_path, "list.asl.json", [1, 2])
    result = invoke("verify", str(tmp_path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{(tmp_path / 'broken.asl.json').as_posix()}: not JSON: ")
    assert lines[1] == f"{(tmp_path / 'list.asl.json').as_posix()}: not a state machine definition (no States)"


WHOLE = "(the whole state)"


def test_verify_never_crashes_on_a_mangled_definition():
    """Any JSON in any field of a real definition: problems, never an exception."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    base = json.loads((GOLDEN / "demand-forecast" / "default" / "batch.asl.json").read_text(encoding="utf-8"))
    states = sorted(base["States"])
    fields = ["Type", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Catch",
              "Choices", "Default", "ItemReader", "ItemBatcher", "ItemProcessor", "ItemSelector", "ItemsPath",
              "ResultWriter", "Branches", "SecondsPath", "ErrorPath", "Resource", WHOLE]
    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.sampled_from(
        ["$", "$.a", "$$.Map.Item.Value", "$.pointers.Item", "States.Format('{}', $.x)", "States.Nope(", "$[", "Done"]),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "a.$", "Next", "Variable",
                                                                                        "And", "Not", "IsPresent"]),
                                                                       inner, max_size=3), max_leaves=8)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(states), st.sampled_from(fields), json_values), min_size=1, max_size=4))
    def mangled(edits):
        definition = json.loads(json.dumps(base))
        for state, field, value in edits:
            if field == WHOLE:
                definition["States"][state] = value
            elif isinstance(definition["States"][state], dict):
                definition["States"][state][field] = value
        for problem in verify.verify_definition(definition, mlopsc_output=True):
            assert isinstance(problem.text(), str)

    mangled()


def test_other_commands_that_compile_report_an_unprovable_definition(monkeypatch, capsys):
    """`mlopsc graph` (like run, diff and bootstrap) compiles in memory: the same exit 70 and problems."""
    from compiler import cli as cli_module
    from compiler import render

    original = render.render_files
    monkeypatch.setattr(render, "render_files", lambda model: {**original(model), "retrain.asl.json": UNPROVABLE})
    monkeypatch.setattr("sys.argv", ["mlopsc", "graph", str(SAMPLES / "churn-fargate"), "--env", "default",
                                     "--platform", str(SAMPLES_PLATFORM)])
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 70
    err = capsys.readouterr().err
    assert "churn-fargate/default/retrain.asl.json: state 'Read': Parameters.v.$ reads $.nowhere" in err
    assert "this is a bug in mlopsc" in err


def test_rules_after_one_that_always_matches_are_not_read():
    """Choice evaluates its rules in order: once one matches every input, the later ones are never read."""
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Done"},
                                            {"Variable": "$.b", "StringEquals": "x", "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}
    assert verify.verify_definition(definition, schema) == []


def test_an_and_stops_at_an_operand_that_is_always_false():
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.a", "IsPresent": False},
                                                     {"Variable": "$.a", "StringEquals": "x"}], "Next": "Done"}],
              "Default": "Done"},
        "Done": {"Type": "Succeed"}}}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert verify.verify_definition(definition, schema) == []


def test_verify_reads_out_as_every_reader_of_out_does(monkeypatch, tmp_path):
    """OUT is read bounded (compiler.files.read_bytes_bounded, a compiled output's limit), never
    while a killed compile's journal says it is half swapped (write.check_finished: apply, diff and
    compile --check refuse it too), and a staging folder a kill left (`.mlopsc-*`) is not OUT's."""
    from compiler import files
    from compiler.artifacts import write

    out = tmp_path / "out"
    environment = out / "m" / "dev"
    environment.mkdir(parents=True)
    (environment / "manifest.json").write_text("{}", encoding="utf-8")
    definition = write_definition(environment, "x.asl.json", PROVEN)
    staging = out / f"{write.PREFIX}abc123" / "new-0"
    staging.mkdir(parents=True)
    write_definition(staging, "x.asl.json", REFUSED)
    assert invoke("verify", str(out)).exit_code == 0  # the staging copy is not read

    (out / write.JOURNAL).write_text('{"staging": ".mlopsc-x", "moves": []}', encoding="utf-8")
    for path in (out, definition):
        result = invoke("verify", str(path))
        assert result.exit_code == 2, result.output
        assert "holds an unfinished compile" in result.stderr and "hint: run `mlopsc compile" in result.stderr
    (out / write.JOURNAL).unlink()

    monkeypatch.setattr(files, "COMPILED_OUTPUT_BYTES", 64)
    result = invoke("verify", str(definition))
    assert result.exit_code == 2, result.output
    assert "a compiled output is limited to 64 bytes" in result.stderr and "hint:" in result.stderr


def test_a_fifo_is_named_for_what_it_is_and_never_read(tmp_path):
    """Issue 15 item 2's rule for every reader: a FIFO is refused by what it is, never opened
    (opening one for reading would wait for a writer)."""
    import os

    fifo = tmp_path / "m.asl.json"
    os.mkfifo(fifo)
    result = invoke("verify", str(fifo))
    assert result.exit_code == 2
    assert f"{fifo}: not a regular file or a folder" in result.output
