"""The same metrics per value tier and lifecycle stage: a model can be good overall and poor
for the VIPs it matters most for."""

import re

import numpy as np
import pandas as pd

from ml.metrics import classification_metrics

SEGMENT_COLUMNS = ("value_tier", "lifecycle_stage")
MIN_SEGMENT_ROWS = 100


def segment_metrics(
    frame: pd.DataFrame,
    p,
    columns=SEGMENT_COLUMNS,
    min_rows: int = MIN_SEGMENT_ROWS,
) -> dict[str, float]:
    """`{metric}__{column}__{group}` for each group with >= min_rows rows and both classes.

    The capacity metrics are left out: capacity is a budget for the whole population, not per
    segment; the top-decile lift and recall are the per-segment ranking view.
    """
    p = np.asarray(p, dtype=float)
    result = {}
    for column in [c for c in columns if c in frame.columns]:
        for group, index in _groups(frame[column]).items():
            y = frame["churned"].to_numpy()[index].astype(int)
            if len(y) < min_rows or y.min() == y.max():
                continue
            for name, value in classification_metrics(y, p[index]).items():
                result[f"{name}__{column}__{_metric_safe(group)}"] = value
    return result


def _groups(values: pd.Series) -> dict[str, np.ndarray]:
    """Row positions per group; a missing segment is a group of its own ("unknown")."""
    filled = values.astype("string").fillna("unknown").to_numpy()
    return {group: np.flatnonzero(filled == group) for group in pd.unique(filled)}


def _metric_safe(group: str) -> str:
    """MLflow metric names allow letters, digits, _ - . / and spaces; keep them plain."""
    return re.sub(r"[^0-9a-zA-Z_]+", "_", str(group).strip().lower()) or "blank"
