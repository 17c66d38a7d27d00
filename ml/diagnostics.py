"""Plots for a candidate's run: its validation curves and a feature-importance chart.

The curves use every validation row (the probabilities are already there); permutation
importance runs on a fixed random sample, since it costs one prediction per feature and repeat,
which on all rows would dominate the training time.
"""

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from sklearn.calibration import CalibrationDisplay
from sklearn.inspection import permutation_importance
from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay, roc_auc_score

from ml.frame import feature_matrix, labels, one_thread

# Measured on the realistic demo set (19k validation rows, 39 features, 1 thread, calibrated trees
# = 3 x 200 trees): 10,000 rows x 3 repeats took 37 s, 4,000 x 3 16 s, 2,500 x 2 7 s, and all
# three found the same top six features (the order differs only below a 0.01 drop in AUC).
IMPORTANCE_ROWS = 2_500
IMPORTANCE_REPEATS = 2
IMPORTANCE_SHOWN = 20


def sample_rows(frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    return frame if len(frame) <= n else frame.sample(n=n, random_state=seed)


def log_curves(y_true, p, name: str) -> None:
    """ROC, precision-recall, calibration and cumulative-gains curves of the validation
    probabilities, in one figure (validation_curves.png). Drawn here rather than by
    mlflow.models.evaluate, which also logs a dozen metrics at a 0.5 threshold (accuracy, f1,
    confusion counts) that mean nothing for a churn ranking and crowd the runs table."""
    y, p = np.asarray(y_true).astype(int), np.asarray(p, dtype=float)
    figure, axes = plt.subplots(2, 2, figsize=(10, 9))
    RocCurveDisplay.from_predictions(y, p, ax=axes[0, 0], name=name, plot_chance_level=True)
    PrecisionRecallDisplay.from_predictions(y, p, ax=axes[0, 1], name=name, plot_chance_level=True)
    CalibrationDisplay.from_predictions(y, p, n_bins=10, ax=axes[1, 0], name=name)
    order = np.argsort(-p, kind="stable")
    contacted = np.arange(1, len(y) + 1) / len(y)
    axes[1, 1].plot(contacted, np.cumsum(y[order]) / max(y.sum(), 1), label=name)
    axes[1, 1].plot([0, 1], [0, 1], "k--", label="random")
    axes[1, 1].set(xlabel="share of users contacted, highest risk first", ylabel="share of churners reached",
                   title="Cumulative gains")
    axes[1, 1].legend(loc="lower right")
    figure.suptitle(f"{name}: {len(y)} validation rows, {y.mean():.1%} churned")
    figure.tight_layout()
    mlflow.log_figure(figure, "validation_curves.png")
    plt.close(figure)


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
