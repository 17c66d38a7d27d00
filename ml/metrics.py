"""Validation metrics for churn probabilities."""

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


def classification_metrics(y_true, p) -> dict[str, float]:
    """Ranking (roc_auc, pr_auc) and calibration (brier, log_loss) of probabilities p."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(p, dtype=float)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        # Average precision is the step-wise PR-AUC; it does not interpolate optimistically.
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        # labels= keeps log_loss defined even if a slice happens to hold one class.
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
    }
