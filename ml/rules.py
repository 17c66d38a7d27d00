"""Baselines as plain fitted rules, and the MLflow wrapper that makes any of them a registrable,
scorable model like the candidates: predict returns [P(retained), P(churn)] per row.

A rule is a frozen dataclass of a few numbers with `columns` (its inputs, which become the
model's signature) and `churn_probability(frame)`. MLflow pickles the wrapper by reference to
this module, so loading a registered baseline needs the `ml` package importable (it is, in the
project's virtualenv).
"""

from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd
import scipy
from mlflow.models import infer_signature
from scipy.special import expit

from ml.bgnbd import PURCHASE_COLUMNS, BgNbd
from ml.frame import feature_matrix

# Explicit requirements skip MLflow's inference, which re-imports the model in a subprocess.
REQUIREMENTS = [
    *mlflow.pyfunc.get_default_pip_requirements(),
    f"mlflow=={mlflow.__version__}",
    f"numpy=={np.__version__}",
    f"pandas=={pd.__version__}",
    f"scipy=={scipy.__version__}",
]


@dataclass(frozen=True)
class OneFeatureLogistic:
    """P(churn) = logistic(intercept + coef * symlog(x) + missing_coef * [x is null]).

    symlog(x) = sign(x) * log1p(|x|) keeps the curve close to the data (recency risk climbs fast
    in the first weeks, then flattens; a trend of +5 is not five times +1) without changing the
    ranking, and takes negative values (activity_trend is -1 for a user who stopped). A null x is
    filled with the training median and gets its own learned offset: "no activity ever" says
    something about churn that no fill value would.
    """

    column: str
    fill: float
    coef: float = 0.0
    missing_coef: float = 0.0
    intercept: float = 0.0

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame[self.column].astype("float64")
        filled = x.fillna(self.fill).to_numpy()
        return np.column_stack([np.sign(filled) * np.log1p(np.abs(filled)), x.isna()])

    def churn_probability(self, frame: pd.DataFrame) -> np.ndarray:
        x = self.design(frame)
        return expit(self.intercept + self.coef * x[:, 0] + self.missing_coef * x[:, 1])


@dataclass(frozen=True)
class BgNbdRule:
    """P(no order day in the next horizon_days) for buyers; never-buyers get no_order_score."""

    model: BgNbd
    horizon_days: int
    no_order_score: float

    @property
    def columns(self) -> list[str]:
        return list(PURCHASE_COLUMNS)

    def churn_probability(self, frame: pd.DataFrame) -> np.ndarray:
        has = frame[PURCHASE_COLUMNS].notna().all(axis=1).to_numpy()
        score = np.full(len(frame), self.no_order_score)
        score[has] = self.model.p_no_purchase(*history(frame[has]), horizon=self.horizon_days)
        return score


def history(frame: pd.DataFrame):
    """(x, t_x, T) as floats, clipped to what the model allows (0 <= t_x <= T)."""
    x, t_x, T = (frame[c].astype("float64").clip(lower=0).to_numpy() for c in PURCHASE_COLUMNS)
    return x, np.minimum(t_x, T), T


@dataclass(frozen=True)
class ConstantRate:
    """Everyone gets the same probability. It reads no column, but MLflow infers an untyped
    "Any" schema from zero columns, so it is signed over one column it ignores."""

    rate: float
    column: str

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def churn_probability(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.rate)


class RuleModel(mlflow.pyfunc.PythonModel):
    def __init__(self, rule):
        self.rule = rule

    def predict(self, model_input: pd.DataFrame, params=None) -> np.ndarray:
        p = self.rule.churn_probability(model_input)
        return np.column_stack([1.0 - p, p])


def log_rule(rule, rows: pd.DataFrame) -> str:
    """Log the rule as the active run's model "model"; rows give the input example."""
    example = feature_matrix(rows, rule.columns).head(5)
    if example.empty:  # no rows at all: one row of nulls still types the signature
        example = pd.DataFrame({c: [np.nan] for c in rule.columns})
    model = RuleModel(rule)
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=model,
        signature=infer_signature(example, model.predict(example)),
        input_example=example,
        pip_requirements=REQUIREMENTS,
    )
    return info.model_uri
