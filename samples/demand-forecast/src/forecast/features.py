"""Lag features per store, shared by transform (training) and the scoring input contract."""
import pandas as pd

from forecast.schema import LAGS, TARGET


def add_lag_features(sales: pd.DataFrame) -> pd.DataFrame:
    df = sales.assign(date=pd.to_datetime(sales["date"])).sort_values(["store_id", "date"])
    by_store = df.groupby("store_id")[TARGET]
    for lag in LAGS:
        df[f"lag_{lag}"] = by_store.shift(lag)
    df["rolling_mean_7"] = by_store.transform(lambda s: s.shift(1).rolling(7).mean())
    df["day_of_week"] = df["date"].dt.dayofweek
    df["month"] = df["date"].dt.month
    return df.dropna().reset_index(drop=True)
