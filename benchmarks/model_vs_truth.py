"""Score the champion against the demo generator's ground truth.

    .venv/bin/python benchmarks/model_vs_truth.py      (after `make run`; honours CHURN_DATA_DIR)

On the validation observation dates (the latest matured ones, as in training) it prints the
champion's AUC against the pipeline's label ("no order in H days"), against the truth (the user
really churned within H days and had not come back), and the recency-only baseline on both.
"""

import duckdb
import pandas as pd
from sklearn.metrics import roc_auc_score

from ml.score import score
from ml.split import time_split
from pipeline.settings import load_settings


def true_churn(rows: pd.DataFrame, truth: pd.DataFrame, horizon: int) -> pd.Series:
    joined = rows[["user_id", "as_of_date"]].merge(truth, on="user_id", how="left")
    end = pd.to_datetime(joined["as_of_date"]) + pd.Timedelta(days=horizon)
    churned_by_end = joined["churn_date"].notna() & (joined["churn_date"] <= end)
    back_by_end = joined["returned_date"].notna() & (joined["returned_date"] <= end)
    return (churned_by_end & ~back_by_end).astype(int).set_axis(rows.index)


def main() -> None:
    settings = load_settings()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select * from main.churn_training_set").df()
        horizon = con.execute("select any_value(horizon_days) from main.churn_labels").fetchone()[0]
    _, valid = time_split(rows)
    truth = pd.read_csv(settings.root / "demo_truth" / "ground_truth.csv", parse_dates=["churn_date", "returned_date"])
    scored = score(valid, tracking_uri=settings.mlflow_tracking_uri)
    p = scored["churn_probability"].to_numpy()
    label, real = valid["churned"].astype(int), true_churn(valid, truth, horizon)
    recency = valid["days_since_last_activity"]
    print(f"validation rows {len(valid)} over {valid['as_of_date'].nunique()} dates; champion v{scored['model_version'].iloc[0]}")
    print(f"label rate {label.mean():.3f}; true churn rate {real.mean():.3f}; label agrees with truth on {(label == real).mean():.1%}")
    print(f"champion AUC vs label {roc_auc_score(label, p):.3f}   vs truth {roc_auc_score(real, p):.3f}")
    print(f"recency  AUC vs label {roc_auc_score(label, recency):.3f}   vs truth {roc_auc_score(real, recency):.3f}")


if __name__ == "__main__":
    main()
