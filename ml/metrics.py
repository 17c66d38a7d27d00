"""Validation metrics for churn probabilities: ranking, calibration, and who gets contacted.

Capacity: the retention team can contact a fixed number of users per day, so the list that
matters is the top `capacity` users of each observation date. `capacity` >= 1 is a count of users
per date (default 500); 0 < capacity < 1 is a share of each date's users.
"""

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

DEFAULT_CAPACITY = 500
ECE_BINS = 10


def classification_metrics(y_true, p) -> dict[str, float]:
    """Ranking (roc_auc, pr_auc, top decile) and calibration (brier, log_loss, ece) of p."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(p, dtype=float)
    top = top_k_positives(y, p, k=len(y) / 10)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        # Average precision is the step-wise PR-AUC; it does not interpolate optimistically.
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        # labels= keeps log_loss defined even if a slice happens to hold one class.
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "lift_top_decile": float(top / (len(y) / 10) / y.mean()),
        "recall_top_decile": float(top / y.sum()),
    }


def expected_calibration_error(y_true, p, bins: int = ECE_BINS) -> float:
    """Row-weighted mean |observed rate - mean probability| over equal-width probability bins."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(p, dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, y, bins) - np.bincount(which, p, bins))
    # Per bin, |sum(y) - sum(p)| / n_bin weighted by n_bin / N is |sum(y) - sum(p)| / N.
    return float(gap[count > 0].sum() / len(y))


def top_k_positives(y, p, k: float) -> float:
    """Expected positives among the k highest scores, ties at the cut shared out pro rata.

    Without this, rows tied at the cut (a recency score in whole days, isotonic steps) would be
    picked by row order, and two equally good scores could get different lifts.
    """
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    k = min(k, len(y))
    if k <= 0:
        return 0.0
    cut = np.sort(p)[::-1][int(np.ceil(k)) - 1]
    above, at = p > cut, p == cut
    return float(y[above].sum() + (k - above.sum()) * y[at].mean())


def capacity_metrics(y_true, p, dates, capacity: float = DEFAULT_CAPACITY) -> dict[str, float]:
    """Lift and recall when each date's top `capacity` users are contacted."""
    frame = pd.DataFrame({"y": np.asarray(y_true).astype(int), "p": p, "date": np.asarray(dates)})
    hits, contacted = 0.0, 0.0
    for _, day in frame.groupby("date"):
        k = capacity * len(day) if capacity < 1 else min(capacity, len(day))
        hits += top_k_positives(day["y"], day["p"], k)
        contacted += k
    return {
        "lift_at_capacity": float(hits / contacted / frame["y"].mean()),
        "recall_at_capacity": float(hits / frame["y"].sum()),
    }


def validation_metrics(frame: pd.DataFrame, p, capacity: float = DEFAULT_CAPACITY) -> dict:
    """Every overall metric of probabilities p for the rows of frame (churned, as_of_date)."""
    y = frame["churned"].astype(int)
    return {
        **classification_metrics(y, p),
        **capacity_metrics(y, p, frame["as_of_date"], capacity),
    }
