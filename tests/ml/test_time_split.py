"""Validation is on later observation dates than training, on matured labels only."""

import pandas as pd
import pytest
from synthetic_rows import make_rows

from ml.split import time_split


@pytest.fixture(scope="module")
def rows():
    return make_rows(n_users=500)


@pytest.mark.parametrize("as_dates", [False, True], ids=["datetime64", "date_objects"])
def test_time_split_validates_on_the_latest_dates_and_drops_immature_rows(rows, as_dates):
    if as_dates:
        rows = rows.assign(as_of_date=pd.to_datetime(rows["as_of_date"]).dt.date)
    train, valid = time_split(rows, valid_fraction=0.25)
    train_dates = pd.to_datetime(train["as_of_date"])
    valid_dates = pd.to_datetime(valid["as_of_date"])
    assert train_dates.max() < valid_dates.min()
    # 7 matured dates: round(7 * 0.25) = 2 whole dates in validation, the immature one in neither.
    assert (train_dates.nunique(), valid_dates.nunique()) == (5, 2)
    assert len(train) + len(valid) == int(rows["label_mature"].sum())
    assert train["churned"].notna().all() and valid["churned"].notna().all()


def test_time_split_needs_two_matured_dates():
    rows = make_rows(n_users=50, n_dates=2)  # one matured date, one immature
    with pytest.raises(ValueError, match="at least 2 distinct observation dates"):
        time_split(rows)


def test_time_split_rejects_a_part_with_a_single_class(rows):
    latest = rows["as_of_date"] >= rows["as_of_date"].max() - pd.Timedelta(days=14)
    rows = rows.assign(churned=rows["churned"].mask(latest & rows["label_mature"], 0))
    with pytest.raises(ValueError, match="validation part .* single class"):
        time_split(rows)
