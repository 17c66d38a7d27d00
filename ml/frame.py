"""Shared plumbing: the feature matrix every model sees, and single-threaded compute."""

import pandas as pd
from threadpoolctl import threadpool_limits

RECENCY_COLUMN = "days_since_last_activity"


def one_thread():
    """Context that runs OpenMP (the trees) and BLAS (the logistic model) on one thread.

    Measured on the 2-core target with other work (dbt, DuckDB, tests) running alongside: two
    spin-waiting OpenMP threads made fitting 5-10x slower than one, and two OpenBLAS threads made
    the logistic fit 3x slower (2.5 s vs 0.7 s on 58k rows). Predictable beats marginally faster.
    """
    return threadpool_limits(limits=1)


def feature_matrix(frame: pd.DataFrame, feature_columns: list[str]) -> pd.DataFrame:
    """Features as float64: absent inputs (None, pd.NA) become NaN, which the models handle."""
    return frame[list(feature_columns)].astype("float64")


def labels(frame: pd.DataFrame) -> pd.Series:
    """The churn label as 0/1 ints (it arrives as bool, Int64 or int32)."""
    return frame["churned"].astype(int)
