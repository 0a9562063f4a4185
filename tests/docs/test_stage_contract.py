"""The stage contract (docs/state-machines.md, "The stage contract") names every variable mlopsc
gives a retrain or batch stage's container: the compiled samples' state machines (tests/golden)
are searched for the `MLOPS_*` names they set, so a variable added without its documentation
(as batch.output's `MLOPS_OUTPUT_PREFIX` was) fails here."""

import re

from paths import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden"
CONTRACT = REPO_ROOT / "docs" / "state-machines.md"


def _contract_section() -> str:
    text = CONTRACT.read_text(encoding="utf-8")
    start = text.index("## The stage contract")
    following = text.find("\n## ", start + 1)
    return text[start:following if following > 0 else None]


def _variables(pipeline: str) -> set:
    return {name for path in GOLDEN.glob(f"*/*/{pipeline}.asl.json")
            for name in re.findall(r'"(MLOPS_[A-Z_]+)"', path.read_text(encoding="utf-8"))}


#: A named input's or output's variable (the stage graph): documented by its pattern.
NAMED = re.compile(r"MLOPS_(INPUT|OUTPUT)_[A-Z0-9_]+_URI")


def _documented(name: str, section: str) -> bool:
    pattern = f"`MLOPS_{NAMED.fullmatch(name).group(1)}_<NAME>_URI`" if NAMED.fullmatch(name) else None
    return f"`{name}`" in section or (pattern is not None and pattern in section)


def test_every_variable_of_a_retrain_or_batch_stage_is_documented():
    given = _variables("retrain") | _variables("batch")
    assert {"MLOPS_OUTPUT_PREFIX", "MLOPS_INPUT_URI", "MLOPS_BATCH_URI", "MLOPS_INPUT_RAW_URI"} <= given
    section = _contract_section()
    assert sorted(name for name in given if not _documented(name, section)) == []


def test_the_batch_contract_says_where_the_scores_go():
    section = _contract_section()
    assert "`MLOPS_OUTPUT_PREFIX`" in section and "`batch.output`" in section
