"""Feature engineering shared by transform (training) and score (batch)."""
import pandas as pd

from churn.schema import CONTRACTS


def add_features(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["charges_per_tenure"] = out["total_charges"] / out["tenure_months"].clip(lower=1)
    out["calls_per_year"] = out["support_calls"] * 12 / out["tenure_months"].clip(lower=1)
    for contract in CONTRACTS:
        out[f"contract_{contract.replace('-', '_')}"] = (out["contract"] == contract).astype(int)
    return out.drop(columns=["contract"])
