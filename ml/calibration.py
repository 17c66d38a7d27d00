"""How the candidates can be calibrated on these training rows: the folds, and the features.

A small or lopsided log cannot always give the configured number of calibration folds: grouping
by user needs at least as many users as folds, and Platt scaling on a fold that holds one or two
churners fits its slope to them. The plan takes the most folds (down to 2) in which every
held-out fold has MIN_CLASS_PER_FOLD churners and non-churners; with fewer the candidates are
fitted uncalibrated, and the calibration gate on validation says whether that is acceptable.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.frame import labels

MIN_CLASS_PER_FOLD = 5


@dataclass(frozen=True)
class CalibrationPlan:
    splits: list  # (fitting rows, calibration rows) per fold; empty: fit uncalibrated
    features: list[str]  # the feature columns every fold's fitting rows observe
    note: str  # why the folds are fewer than asked, "" if they are not
    dropped: list[str]  # features left out: null on all fitting rows of some fold


def calibration_plan(train: pd.DataFrame, features: list[str], folds: int) -> CalibrationPlan:
    splits = _splits(train, folds)
    note = ""
    if len(splits) < folds:
        got = f"{len(splits)} folds" if splits else "no calibration (fitted uncalibrated)"
        note = (
            f"calibration needs {folds} folds of users with at least {MIN_CLASS_PER_FOLD} churners "
            f"and non-churners each; the training rows allow {got}"
        )
    fitting = [rows for rows, _ in splits] or [np.arange(len(train))]
    kept = _observed(train, features, fitting)
    return CalibrationPlan(splits, kept, note, [f for f in features if f not in kept])


def _splits(train: pd.DataFrame, folds: int) -> list:
    y, users = labels(train).to_numpy(), train["user_id"].to_numpy()
    ids, user_of_row = np.unique(users, return_inverse=True)
    # Users dealt round-robin from the most churn rows down: folds of whole users that share
    # the churners evenly (sklearn's StratifiedGroupKFold does this too, but took 4 s on 15k users).
    order = np.argsort(-np.bincount(user_of_row, weights=y), kind="stable")
    for k in range(min(folds, len(ids)), 1, -1):
        fold_of_user = np.empty(len(ids), dtype=int)
        fold_of_user[order] = np.arange(len(ids)) % k
        fold = fold_of_user[user_of_row]
        splits = [(np.flatnonzero(fold != i), np.flatnonzero(fold == i)) for i in range(k)]
        if all(_enough(y[held_out]) for _, held_out in splits):
            return splits
    return []


def _enough(y: np.ndarray) -> bool:
    churners = int(y.sum())
    return min(churners, len(y) - churners) >= MIN_CLASS_PER_FOLD


def _observed(train: pd.DataFrame, features: list[str], fitting: list) -> list[str]:
    """HistGradientBoosting (sklearn 1.9) crashes on a column with no value at all ("window
    shape cannot be larger than input array shape"), so a feature must have one in every fold."""
    has_value = train[list(features)].notna().to_numpy()
    return [f for i, f in enumerate(features) if all(has_value[rows, i].any() for rows in fitting)]
