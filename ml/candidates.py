"""The models that compete for the champion alias, each calibrated on users it did not see.

Calibration choice: CalibratedClassifierCV with `method="sigmoid"` on folds grouped by user.
- Grouped by user because a user appears on many observation dates; random folds would calibrate
  on predictions for users the fold's model was fitted on, and look more certain than it is.
- Sigmoid rather than isotonic because it is monotone (the ranking, hence AUC and top-k lists,
  is kept, where isotonic's steps create ties) and has two parameters instead of a step function.
  On the realistic demo set both gave the same Brier score (0.142) and ECE (0.017).
- Cross-validated folds (ensemble of `folds` calibrated models) rather than calibrating on the
  latest training dates: the latter left the most recent dates out of fitting and cost 0.014 AUC.
- Fewer folds, or none, when the rows are too few for them: see ml/calibration.py.
"""

from dataclasses import dataclass, field

import pandas as pd
from sklearn.base import ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ml.calibration import CalibrationPlan
from ml.frame import feature_matrix, labels, one_thread

# Modest, fixed settings: trains in seconds on ~100k rows with 2 cores and is reproducible.
# No early stopping, because its internal random holdout would ignore our time split.
HGB_PARAMS = {
    "max_iter": 200,
    "learning_rate": 0.08,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 50,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}
# l1_ratio=0 is the L2 penalty (sklearn 1.8 deprecated `penalty=`). Newton-Cholesky converges in
# ~5 iterations when rows far outnumber features, as here.
LOGISTIC_PARAMS = {"C": 1.0, "l1_ratio": 0.0, "solver": "newton-cholesky", "max_iter": 200}


@dataclass(frozen=True)
class CandidateSpec:
    name: str
    estimator: ClassifierMixin
    params: dict = field(default_factory=dict)


def candidate_specs(hgb_params: dict | None = None, logistic_params: dict | None = None):
    """The unfitted candidates, each with the settings to log for it."""
    hgb = {**HGB_PARAMS, **(hgb_params or {})}
    logistic = {**LOGISTIC_PARAMS, **(logistic_params or {})}
    return [
        CandidateSpec("logistic_regression", _logistic(logistic), logistic),
        CandidateSpec("gradient_boosting", HistGradientBoostingClassifier(**hgb), hgb),
    ]


def _logistic(params: dict) -> Pipeline:
    """Median imputation plus a was-missing flag per column: absence (no page views, never
    ordered) carries signal that the median alone would erase."""
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
            ("classifier", LogisticRegression(**params)),
        ]
    )


def fit_calibrated(spec: CandidateSpec, train: pd.DataFrame, plan: CalibrationPlan, method: str):
    """Fit a model per fold on the other users' rows, each calibrated on its held-out users;
    without folds (see ml/calibration.py) the estimator alone, on every training row."""
    x, y = feature_matrix(train, plan.features), labels(train)
    model = clone(spec.estimator)
    if plan.splits:
        model = CalibratedClassifierCV(model, method=method, cv=plan.splits)
    with one_thread():
        return model.fit(x, y)


def predict_churn(model, frame: pd.DataFrame, feature_columns: list[str]):
    """Probability of the churn class (column 1 of predict_proba)."""
    with one_thread():
        return model.predict_proba(feature_matrix(frame, feature_columns))[:, 1]
