"""The demo worlds' ground truth, read the way the pipeline's labels are meant: who really left
within a horizon, and the cause family of why. Never read by the pipeline itself; the
benchmark (benchmarks/model_vs_truth.py) and the tests score the pipeline against it."""

from pathlib import Path

import pandas as pd

# The shop's truth names drivers; the other worlds' truth carries driver_family itself.
SHOP_DRIVER_FAMILY = {"page_load": "experience", "service": "service", "delivery": "logistics",
                      "complaint": "trust", "price": "value_or_price"}


def load_truth(data_dir: Path) -> pd.DataFrame:
    truth = pd.read_csv(Path(data_dir) / "demo_truth" / "ground_truth.csv", parse_dates=["churn_date", "returned_date"])
    if "driver_family" not in truth.columns:
        truth["driver_family"] = truth["churn_driver"].map(SHOP_DRIVER_FAMILY)
    return truth


def true_churn(rows: pd.DataFrame, truth: pd.DataFrame, horizon: int, *, new_only: bool = False) -> pd.Series:
    """Per (user_id, as_of_date) row: gone by the end of the horizon and not back; `new_only`:
    leaving within the horizon (users gone before the date can no longer be kept in time)."""
    joined = rows[["user_id", "as_of_date"]].merge(truth, on="user_id", how="left")
    date = pd.to_datetime(joined["as_of_date"])
    end = date + pd.Timedelta(days=horizon)
    gone = joined["churn_date"].notna() & (joined["churn_date"] <= end)
    if new_only:
        gone &= joined["churn_date"] > date
    back_by_end = joined["returned_date"].notna() & (joined["returned_date"] <= end)
    return (gone & ~back_by_end).astype(int).set_axis(rows.index)


def left_recently(rows: pd.DataFrame, truth: pd.DataFrame, days: int = 30) -> pd.Series:
    """Per row: gone in the `days` before the row's date and not back by then: the users whose
    grievances that drove them out are in the log by the date (the demo's fade within weeks)."""
    joined = rows[["user_id", "as_of_date"]].merge(truth, on="user_id", how="left")
    date = pd.to_datetime(joined["as_of_date"])
    gone = (joined["churn_date"] > date - pd.Timedelta(days=days)) & (joined["churn_date"] <= date)
    back = joined["returned_date"].notna() & (joined["returned_date"] <= date)
    return (gone & ~back).set_axis(rows.index)
