"""Baselines the candidates must beat: recency alone, and BG/NBD on purchase history.

Each baseline is fitted on the training rows and returns probabilities, so every metric
(calibration included) compares like with like. A baseline that cannot be fitted on these rows
is skipped with a reason instead of failing the training.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.bgnbd import PURCHASE_COLUMNS, fit_bgnbd
from ml.frame import RECENCY_COLUMN, labels

log = logging.getLogger(__name__)
MIN_BUYERS = 100


@dataclass(frozen=True)
class FittedBaseline:
    name: str
    params: dict
    predict: Callable[[pd.DataFrame], np.ndarray]


def fit_baselines(
    train: pd.DataFrame, horizon_days: int, min_buyers: int = MIN_BUYERS
) -> tuple[list[FittedBaseline], dict[str, str]]:
    """(fitted baselines, {name: why it was skipped})."""
    fitted, skipped = [], {}
    for name, fit in [("recency", _fit_recency), ("bgnbd", _fit_bgnbd)]:
        result = fit(train, horizon_days=horizon_days, min_buyers=min_buyers)
        if isinstance(result, str):
            log.info("Baseline %s skipped: %s", name, result)
            skipped[name] = result
        else:
            fitted.append(result)
    return fitted, skipped


def _fit_recency(train: pd.DataFrame, **_) -> FittedBaseline | str:
    """One-feature logistic model on log(1 + days since last activity).

    The log keeps the fitted curve close to the data (risk climbs fast in the first weeks, then
    flattens); the ranking, hence AUC, is that of raw recency. Users with no activity at all get
    the most inactive value seen in training plus one day.
    """
    if RECENCY_COLUMN not in train.columns:
        return f"the rows have no {RECENCY_COLUMN} column"
    fill = float(np.nan_to_num(train[RECENCY_COLUMN].astype("float64").max(), nan=0.0)) + 1.0

    def x(frame):
        days = frame[RECENCY_COLUMN].astype("float64").fillna(fill).clip(lower=0)
        return np.log1p(days.to_numpy())[:, None]

    model = LogisticRegression().fit(x(train), labels(train))
    coef, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
    return FittedBaseline(
        "recency",
        {"feature": f"log1p({RECENCY_COLUMN})", "coef": coef, "intercept": intercept},
        lambda frame: model.predict_proba(x(frame))[:, 1],
    )


def _fit_bgnbd(train: pd.DataFrame, *, horizon_days: int, min_buyers: int) -> FittedBaseline | str:
    """Churn score = P(no order day in the next horizon_days), from the fitted BG/NBD.

    Users who never ordered (null purchase columns) get the churn rate of never-ordered training
    rows: BG/NBD models buyers only and has nothing to say about them.
    """
    missing = [c for c in PURCHASE_COLUMNS if c not in train.columns]
    if missing:
        return f"the rows have no purchase-history columns {missing}"
    buyers = train[PURCHASE_COLUMNS].notna().all(axis=1)
    n_buyers = train.loc[buyers, "user_id"].nunique()
    if n_buyers < min_buyers:
        return f"only {n_buyers} users with orders in the training rows (need {min_buyers})"
    model = fit_bgnbd(*_history(train[buyers]))
    y = labels(train)
    fallback = float(y[~buyers].mean()) if (~buyers).any() else float(y.mean())

    def predict(frame):
        has = frame[PURCHASE_COLUMNS].notna().all(axis=1).to_numpy()
        score = np.full(len(frame), fallback)
        score[has] = model.p_no_purchase(*_history(frame[has]), horizon=horizon_days)
        return score

    params = {**vars(model), "horizon_days": horizon_days, "buyers": n_buyers}
    return FittedBaseline("bgnbd", {**params, "no_order_score": fallback}, predict)


def _history(frame: pd.DataFrame):
    """(x, t_x, T) as floats, clipped to what the model allows (0 <= t_x <= T)."""
    x, t_x, T = (frame[c].astype("float64").clip(lower=0).to_numpy() for c in PURCHASE_COLUMNS)
    return x, np.minimum(t_x, T), T
