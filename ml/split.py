"""Split training rows by observation date: validation is always later than training."""

import pandas as pd


def matured_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows whose label window has closed; immature labels are never trained or evaluated on."""
    # label_mature may arrive as a nullable boolean from DuckDB: treat unknown as immature.
    mature = rows["label_mature"].astype("boolean").fillna(False).astype(bool)
    return rows[mature & rows["churned"].notna()]


def time_split(
    rows: pd.DataFrame, date_column: str = "as_of_date", valid_fraction: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matured rows split into (train, valid); valid holds the latest whole observation dates."""
    train, valid, problem = split_or_why(rows, date_column, valid_fraction)
    if problem:
        raise ValueError(problem)
    return train, valid


def split_or_why(
    rows: pd.DataFrame, date_column: str = "as_of_date", valid_fraction: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """time_split that says why instead of raising: (train, valid, None) or (.., .., problem)."""
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
    matured = matured_rows(rows)
    # Compare as timestamps so `date` objects and datetime64 columns behave the same.
    dates = pd.to_datetime(matured[date_column])
    distinct = dates.drop_duplicates().sort_values()
    if len(distinct) < 2:
        problem = (
            f"time_split needs at least 2 distinct observation dates with matured labels, "
            f"got {len(distinct)} (from {len(rows)} rows, {len(matured)} matured)"
        )
        return matured, matured.iloc[:0], problem
    n_valid = min(max(1, round(len(distinct) * valid_fraction)), len(distinct) - 1)
    is_valid = dates >= distinct.iloc[-n_valid]
    train, valid = matured[~is_valid], matured[is_valid]
    problem = _single_class(train, "training", date_column) or _single_class(
        valid, "validation", date_column
    )
    return train, valid, problem


def _single_class(part: pd.DataFrame, name: str, date_column: str) -> str | None:
    """AUC and log loss are undefined on a single class, so say so before training, not after."""
    classes = part["churned"].astype(int).unique()
    if len(classes) < 2:
        dates = pd.to_datetime(part[date_column])
        return (
            f"The {name} part ({len(part)} rows, {dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d}) "
            f"has a single class (churned={classes[0]}); need both churners and non-churners"
        )
    return None
