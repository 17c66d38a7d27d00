"""The churn model: gradient-boosted trees that accept missing features as they are."""

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

RECENCY_COLUMN = "days_since_last_activity"

# Modest, fixed settings: trains in seconds on ~100k rows with 2 cores and is reproducible.
# No early stopping, because its internal random holdout would ignore our time split.
MODEL_PARAMS = {
    "max_iter": 200,
    "learning_rate": 0.08,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 50,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


def one_openmp_thread():
    """Context that runs the trees' OpenMP code on one thread.

    Measured on the 2-core target with other work (dbt, DuckDB, tests) running alongside: two
    spin-waiting OpenMP threads made fitting 5-10x slower than one; on an idle box one thread
    costs ~15%. Predictable beats marginally faster.
    """
    return threadpool_limits(limits=1, user_api="openmp")


def feature_matrix(frame: pd.DataFrame, feature_columns: list[str]) -> pd.DataFrame:
    """Features as float64: absent inputs (None, pd.NA) become NaN, which the trees route."""
    return frame[list(feature_columns)].astype("float64")


def build_model(model_params: dict | None = None) -> Pipeline:
    """An unfitted pipeline; a Pipeline so preprocessing can be added without changing callers."""
    params = {**MODEL_PARAMS, **(model_params or {})}
    return Pipeline([("classifier", HistGradientBoostingClassifier(**params))])


def fit_model(
    train: pd.DataFrame, feature_columns: list[str], model_params: dict | None = None
) -> Pipeline:
    """Fit on matured training rows (churned is 0/1 or bool)."""
    model = build_model(model_params)
    with one_openmp_thread():
        model.fit(feature_matrix(train, feature_columns), train["churned"].astype(int))
    return model


def predict_churn(model: Pipeline, frame: pd.DataFrame, feature_columns: list[str]) -> np.ndarray:
    """Probability of the churn class (column 1 of predict_proba)."""
    with one_openmp_thread():
        return model.predict_proba(feature_matrix(frame, feature_columns))[:, 1]


def baseline_recency_auc(frame: pd.DataFrame) -> float | None:
    """AUC of raw recency as the score: the bar any model must clear. None without recency."""
    if RECENCY_COLUMN not in frame.columns:
        return None
    recency = frame[RECENCY_COLUMN].astype("float64")
    # No activity at all is the most inactive a user can be, so missing recency ranks last.
    filled = recency.fillna(recency.max() + 1 if recency.notna().any() else 0.0)
    return float(roc_auc_score(frame["churned"].astype(int), filled))
