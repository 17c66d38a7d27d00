"""Is there enough labelled data to fit and honestly compare models? A named state, not a crash.

- "ok": a time split whose two parts both hold churners and non-churners, MIN_TRAIN_ROWS
  training rows, and the configured calibration folds.
- "not_enough_data": anything less. Training still ends with a registered model: candidates
  with fewer calibration folds or none (ml/calibration.py) when validation is possible, else a
  fallback fitted on every labelled row (ml/baselines.fit_fallback). The message says which.
"""

from dataclasses import dataclass

import pandas as pd

from ml.split import matured_rows, split_or_why

OK = "ok"
NOT_ENOUGH_DATA = "not_enough_data"
MIN_TRAIN_ROWS = 50


@dataclass(frozen=True)
class DataState:
    state: str = OK
    message: str = ""

    def noting(self, problem: str) -> "DataState":
        """This state with one more shortfall ("" adds none)."""
        if not problem:
            return self
        return DataState(NOT_ENOUGH_DATA, "; ".join(m for m in (self.message, problem) if m))


def split_for_training(rows: pd.DataFrame, valid_fraction: float):
    """(train, valid, state); valid is None when nothing can be validated, and train then holds
    every labelled (matured) row for the fallback to fit on."""
    train, valid, problem = split_or_why(rows, valid_fraction=valid_fraction)
    if problem is None and len(train) < MIN_TRAIN_ROWS:
        problem = f"only {len(train)} training rows (need {MIN_TRAIN_ROWS})"
    if problem is None:
        return train, valid, DataState()
    return matured_rows(rows), None, DataState().noting(problem)
