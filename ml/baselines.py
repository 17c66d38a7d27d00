"""Baselines: recency alone, the user's recent activity against their own past, and BG/NBD on
purchase history; the base rate is the last resort when nothing else can be fitted.

Each is fitted on the training rows as a rule (ml/rules.py) that returns probabilities, so every
metric (calibration included) compares like with like and any of them can become champion. A
baseline that cannot be fitted on these rows is skipped with a reason instead of failing.
"""

import logging
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml.bgnbd import PURCHASE_COLUMNS, fit_bgnbd
from ml.frame import RECENCY_COLUMN, labels
from ml.rules import BgNbdRule, ConstantRate, OneFeatureLogistic, history

log = logging.getLogger(__name__)
MIN_BUYERS = 100
# Recent against earlier event rate, (recent - earlier) / (earlier + 1): 0 steady, -1 stopped.
TREND_COLUMN = "activity_trend"


@dataclass(frozen=True)
class FittedBaseline:
    name: str
    params: dict
    rule: OneFeatureLogistic | BgNbdRule | ConstantRate

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.rule.churn_probability(frame)


def fit_baselines(
    train: pd.DataFrame, horizon_days: int, min_buyers: int = MIN_BUYERS
) -> tuple[list[FittedBaseline], dict[str, str]]:
    """(fitted baselines, {name: why it was skipped})."""
    fits = {
        "recency": lambda: fit_one_feature(train, "recency", RECENCY_COLUMN),
        "activity_trend": lambda: fit_one_feature(train, "activity_trend", TREND_COLUMN),
        "bgnbd": lambda: _fit_bgnbd(train, horizon_days, min_buyers),
    }
    fitted, skipped = [], {}
    for name, fit in fits.items():
        result = fit()
        if isinstance(result, str):
            log.info("Baseline %s skipped: %s", name, result)
            skipped[name] = result
        else:
            fitted.append(result)
    return fitted, skipped


def fit_one_feature(train: pd.DataFrame, name: str, column: str) -> FittedBaseline | str:
    """A logistic model on one column of the user's activity (see OneFeatureLogistic)."""
    if column not in train.columns:
        return f"the rows have no {column} column"
    values = train[column].astype("float64")
    if values.isna().all():
        return f"{column} is null on every training row"
    rule = OneFeatureLogistic(column, fill=float(values.median()))
    fitted = LogisticRegression().fit(rule.design(train), labels(train))
    (coef, missing_coef), intercept = fitted.coef_[0], fitted.intercept_[0]
    rule = replace(
        rule, coef=float(coef), missing_coef=float(missing_coef), intercept=float(intercept)
    )
    return FittedBaseline(name, {"feature": f"symlog({column})", **asdict(rule)}, rule)


def fit_base_rate(labelled: pd.DataFrame, signed_column: str) -> FittedBaseline:
    """Laplace's (churners + 1) / (rows + 2): no labels give 1/2, and one class seen on n rows
    gives 1/(n + 2) rather than a certain 0 or 1 that no future row could contradict."""
    y = labels(labelled)
    rate = (float(y.sum()) + 1.0) / (len(y) + 2.0)
    rule = ConstantRate(rate, signed_column)
    return FittedBaseline("base_rate", {"rate": rate, "rows": len(y)}, rule)


def fit_fallback(labelled: pd.DataFrame, signed_column: str) -> FittedBaseline:
    """With nothing to validate on: recency on every labelled row if it can be fitted (it needs
    both classes), else the base rate."""
    if labels(labelled).nunique() == 2:
        recency = fit_one_feature(labelled, "recency", RECENCY_COLUMN)
        if isinstance(recency, FittedBaseline):
            return recency
    return fit_base_rate(labelled, signed_column)


def _fit_bgnbd(train: pd.DataFrame, horizon_days: int, min_buyers: int) -> FittedBaseline | str:
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
    try:
        model = fit_bgnbd(*history(train[buyers]))
    except RuntimeError as error:  # the optimizer did not converge: a baseline less, not a crash
        return str(error)
    y = labels(train)
    no_order = float(y[~buyers].mean()) if (~buyers).any() else float(y.mean())
    params = {**vars(model), "horizon_days": horizon_days, "buyers": n_buyers}
    rule = BgNbdRule(model, horizon_days, no_order)
    return FittedBaseline("bgnbd", {**params, "no_order_score": no_order}, rule)
