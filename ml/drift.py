"""Population stability index (PSI): has the score or a feature moved since the reference?

Bins are the reference sample's deciles (fewer when values repeat, e.g. mostly-zero counts), and
missing values form a bin of their own, so a feature that starts arriving null shows up as drift.
Reading: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift (the usual credit-risk rule).
"""

import numpy as np
import pandas as pd

BINS = 10
# An empty bin would make the log infinite; a floor of 1e-4 caps one bin's term at ~0.9.
FLOOR = 1e-4
LEVELS = [(0.1, "stable"), (0.25, "moderate"), (np.inf, "major")]


def psi(reference, current, bins: int = BINS) -> float:
    """PSI of `current` against `reference` (1-D numeric samples; NaN allowed)."""
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    present = reference[~np.isnan(reference)]
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(present, inner)) if len(present) else np.array([])
    expected, actual = _shares(reference, edges), _shares(current, edges)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per bin: len(edges) + 1 value bins, then the missing bin."""
    which = np.where(np.isnan(values), len(edges) + 1, np.searchsorted(edges, values, "right"))
    counts = np.bincount(which, minlength=len(edges) + 2)
    return np.maximum(counts / max(len(values), 1), FLOOR)


def drift_table(reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """PSI per column (the score and, say, the model's top features), largest first."""
    rows = [
        {"column": c, "psi": psi(reference[c].astype("float64"), current[c].astype("float64"))}
        for c in columns
    ]
    table = pd.DataFrame(rows, columns=["column", "psi"])
    table["level"] = [level(value) for value in table["psi"]]
    return table.sort_values("psi", ascending=False, ignore_index=True)


def level(value: float) -> str:
    return next(name for bound, name in LEVELS if value < bound)


def score_and_feature_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    top_features: list[str],
    score_column: str = "churn_probability",
) -> pd.DataFrame:
    """PSI of the score and of the given features (e.g. TrainingOutcome.feature_importance's
    first few) between a reference frame (training or last week) and the current one."""
    return drift_table(reference, current, [score_column, *top_features])
