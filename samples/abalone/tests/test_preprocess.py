import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "code"))

from preprocess import split  # noqa: E402


def test_split_keeps_every_row_once_in_the_documented_proportions():
    rows = np.arange(1000, dtype=float).reshape(-1, 1)
    parts = split(rows, seed=7)
    assert [len(parts[name]) for name in ("train", "validation", "test")] == [700, 150, 150]
    assert sorted(np.concatenate(list(parts.values())).ravel()) == list(rows.ravel())


def test_split_is_the_same_for_the_same_seed():
    rows = np.arange(200, dtype=float).reshape(-1, 1)
    assert all((split(rows, 3)[name] == split(rows, 3)[name]).all() for name in ("train", "test"))
