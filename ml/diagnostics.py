"""Plots for a candidate's run: MLflow's classifier evaluation and a feature-importance chart.

Both run on a fixed random sample of the validation rows: the curves do not change visibly
beyond a few thousand rows, and permutation importance costs one prediction per feature and
repeat, which on all rows would dominate the training time.
"""

import warnings

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score

from ml.frame import feature_matrix, labels, one_thread

EVALUATE_ROWS = 10_000
# Measured on the realistic demo set (19k validation rows, 39 features, 1 thread, calibrated trees
# = 3 x 200 trees): 10,000 rows x 3 repeats took 37 s, 4,000 x 3 16 s, 2,500 x 2 7 s, and all
# three found the same top six features (the order differs only below a 0.01 drop in AUC).
IMPORTANCE_ROWS = 2_500
IMPORTANCE_REPEATS = 2
IMPORTANCE_SHOWN = 20


def sample_rows(frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    return frame if len(frame) <= n else frame.sample(n=n, random_state=seed)


def log_evaluation(model_uri: str, valid: pd.DataFrame, feature_columns: list[str]) -> None:
    """ROC, PR, calibration and lift plots (and MLflow's own metrics, prefixed `evaluate_`)."""
    sample = sample_rows(valid, EVALUATE_ROWS)
    data = feature_matrix(sample, feature_columns).assign(churned=labels(sample).to_numpy())
    with one_thread(), warnings.catch_warnings():
        # The 0/1 target makes MLflow hint that integer columns cannot hold missing values;
        # the target is never missing.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        mlflow.models.evaluate(
            model_uri,
            data,
            targets="churned",
            model_type="classifier",
            evaluator_config={
                # SHAP is not installed, and it would be the slowest step by far.
                "log_model_explainability": False,
                # Our own metrics on all validation rows keep the plain names.
                "metric_prefix": "evaluate_",
                "label_list": [0, 1],
            },
        )


def importance(model, valid: pd.DataFrame, feature_columns: list[str]) -> pd.Series:
    """Mean drop in validation ROC-AUC when a feature is shuffled, largest first."""
    sample = sample_rows(valid, IMPORTANCE_ROWS)
    with one_thread():
        result = permutation_importance(
            model,
            feature_matrix(sample, feature_columns),
            labels(sample),
            scoring="roc_auc",
            n_repeats=IMPORTANCE_REPEATS,
            random_state=0,
        )
    return pd.Series(result.importances_mean, index=feature_columns).sort_values(ascending=False)


def shuffle_importance(predict, valid: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The same drop for a churn-probability function (the baselines, which are not sklearn
    estimators): they read one to three columns, so one shuffle of all rows each is cheap."""
    y, rng = labels(valid), np.random.default_rng(0)
    auc = roc_auc_score(y, predict(valid))
    shuffled = {c: valid.assign(**{c: rng.permutation(valid[c].to_numpy())}) for c in columns}
    drops = {c: auc - roc_auc_score(y, predict(frame)) for c, frame in shuffled.items()}
    return pd.Series(drops, dtype=float).sort_values(ascending=False)


def log_importance(drops: pd.Series, name: str) -> None:
    shown = drops.head(IMPORTANCE_SHOWN)[::-1]
    figure, axes = plt.subplots(figsize=(7, 0.3 * len(shown) + 1.2))
    axes.barh(shown.index, shown.to_numpy(), color=np.where(shown > 0, "#3a6ea5", "#aaaaaa"))
    axes.set_xlabel("drop in validation ROC-AUC when shuffled")
    axes.set_title(f"Permutation importance: {name}")
    figure.tight_layout()
    mlflow.log_figure(figure, "feature_importance.png")
    plt.close(figure)
    mlflow.log_dict({k: float(v) for k, v in drops.items()}, "feature_importance.json")
