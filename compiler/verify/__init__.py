"""`mlopsc verify`: a static proof that every path a state machine's states read is there on
every route into them (see analyze.py for how, contracts.py for the inputs assumed)."""

from __future__ import annotations

import json
from typing import Optional


class Finding:
    """A problem of one file. (A plain class: a dataclass costs compile() calls at import, in every compile.)"""

    __slots__ = ("file", "problem")

    def __init__(self, file: str, problem):
        self.file, self.problem = file, problem  # problem: analyze.Problem

    def text(self) -> str:
        return f"{self.file}: {self.problem.text()}"


class UnprovenDefinition(Exception):
    """mlopsc rendered a state machine verify cannot prove: a bug in mlopsc (exit 70, nothing written)."""

    def __init__(self, findings: list):
        self.findings = findings
        super().__init__(f"{len(findings)} unproven read(s) in the state machines mlopsc rendered")


def pipeline_of(file_name: str) -> Optional[str]:
    """'OUT/m/env/retrain.asl.json' -> 'retrain' when it is one of mlopsc's pipelines."""
    from compiler.verify.contracts import PIPELINES

    stem = file_name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".asl.json")
    return stem if stem in PIPELINES else None


def verify_definition(definition, input_schema: Optional[dict] = None, mlopsc_output: bool = False) -> list:
    """Every problem of one definition (analyze.Problem, in state order). `input_schema`: the
    execution input's JSON Schema (None: unknown, every read allowed). `mlopsc_output`: every
    integration must have its response shape in aws_shapes.json."""
    from compiler.verify import analyze, contracts

    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        return [analyze.Problem("", "", "", (), "not a state machine definition (no States)")]
    entry = contracts.from_schema(input_schema) if input_schema is not None else contracts.unknown_input()
    problems: list = []
    analyze.Machine(definition, "", mlopsc_output, execution_input=entry).run(entry, problems)
    return problems


def verify_file_text(name: str, text: str, input_schema: Optional[dict] = None, mlopsc_output: bool = False) -> list:
    """Findings of one .asl.json text; for mlopsc's pipelines (named retrain/deploy/batch/drift.asl.json)
    without an explicit schema, their input contract."""
    from compiler.verify import analyze, contracts

    try:
        definition = json.loads(text)
    except ValueError as error:
        return [Finding(name, analyze.Problem("", "", "", (), f"not JSON: {error}"))]
    pipeline = pipeline_of(name)
    if input_schema is None and mlopsc_output and pipeline:
        input_schema = contracts.pipeline_input(pipeline)
    return [Finding(name, problem) for problem in verify_definition(definition, input_schema, mlopsc_output)]


def verify_rendered(outputs: dict) -> list:
    """compile's check: every state machine of every model environment ("model/env" -> file -> text)."""
    findings = []
    for place, files in sorted(outputs.items()):
        for file_name, text in sorted(files.items()):
            if file_name.endswith(".asl.json"):
                findings += verify_file_text(f"{place}/{file_name}", text, mlopsc_output=True)
    return findings
