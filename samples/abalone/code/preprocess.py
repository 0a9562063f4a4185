"""Split the abalone measurements into train, validation and test sets for XGBoost.

Runs in SageMaker's scikit-learn image as a processing job (the `preprocess` stage). Reads every
`*.csv` under /opt/ml/processing/input/data (the UCI abalone columns, no header), one-hot encodes
`sex`, standardises the measurements, and writes label-first CSV files without a header (what the
built-in XGBoost algorithm reads as `text/csv`) to the three output folders.
"""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

BASE = "/opt/ml/processing"
MEASUREMENTS = ["length", "diameter", "height", "whole_weight", "shucked_weight", "viscera_weight",
                "shell_weight"]
COLUMNS = ["sex", *MEASUREMENTS, "rings"]
SPLITS = {"train": 0.70, "validation": 0.15, "test": 0.15}


def read_measurements(folder: str) -> pd.DataFrame:
    files = sorted(glob.glob(os.path.join(folder, "**", "*.csv"), recursive=True))
    if not files:
        raise SystemExit(f"no *.csv under {folder}")
    return pd.concat((pd.read_csv(path, header=None, names=COLUMNS) for path in files), ignore_index=True)


def features(frame: pd.DataFrame) -> np.ndarray:
    encode = ColumnTransformer([
        ("measurements", make_pipeline(StandardScaler()), MEASUREMENTS),
        ("sex", OneHotEncoder(handle_unknown="ignore"), ["sex"]),
    ])
    return encode.fit_transform(frame.drop(columns=["rings"]))


def split(rows: np.ndarray, seed: int) -> dict:
    shuffled = np.random.default_rng(seed).permutation(rows)
    first = int(SPLITS["train"] * len(shuffled))
    second = first + int(SPLITS["validation"] * len(shuffled))
    return {"train": shuffled[:first], "validation": shuffled[first:second], "test": shuffled[second:]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SPLIT_SEED", "42")))
    args = parser.parse_args()
    frame = read_measurements(os.path.join(BASE, "input", "data"))
    rows = np.column_stack([frame["rings"].to_numpy(dtype=float), features(frame)])
    for name, part in split(rows, args.seed).items():
        folder = os.path.join(BASE, name)
        os.makedirs(folder, exist_ok=True)
        pd.DataFrame(part).to_csv(os.path.join(folder, f"{name}.csv"), header=False, index=False)
        print(f"{name}: {len(part)} rows")


if __name__ == "__main__":
    main()
