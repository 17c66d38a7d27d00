"""Score the champion against the demo generator's ground truth.

    .venv/bin/python benchmarks/model_vs_truth.py      (after `make run`; honours CHURN_DATA_DIR)

On the validation observation dates (the latest matured ones, as in training) it prints the
champion's AUC against the pipeline's label (e.g. "no order in 30 days") and against the truth
(the user really churned within the horizon and had not come back), the recency-only baseline
on both, and how often the top reason's family matches the true churn driver.
"""

import duckdb
import pandas as pd
from sklearn.metrics import roc_auc_score

from ml.explain import top_reasons
from ml.score import alias_version, churn_probability, input_columns, load_version, use_tracking_store
from ml.split import time_split
from pipeline.settings import load_settings

# The generator's drivers and the cause family a reason should name for them.
DRIVER_FAMILY = {"page_load": "experience", "service": "service", "delivery": "logistics",
                 "complaint": "trust", "price": "value_or_price"}


def true_churn(rows: pd.DataFrame, truth: pd.DataFrame, horizon: int) -> pd.Series:
    joined = rows[["user_id", "as_of_date"]].merge(truth, on="user_id", how="left")
    end = pd.to_datetime(joined["as_of_date"]) + pd.Timedelta(days=horizon)
    churned_by_end = joined["churn_date"].notna() & (joined["churn_date"] <= end)
    back_by_end = joined["returned_date"].notna() & (joined["returned_date"] <= end)
    return (churned_by_end & ~back_by_end).astype(int).set_axis(rows.index)


def reason_match(valid: pd.DataFrame, real: pd.Series, truth: pd.DataFrame, model) -> tuple[float, float, int]:
    """Among true churners with an experience-type driver: top reason family right, any of top 3 right."""
    churners = valid[real == 1].merge(truth[["user_id", "churn_driver"]], on="user_id")
    churners = churners[churners["churn_driver"].isin(list(DRIVER_FAMILY))]
    reasons = top_reasons(model, churners, input_columns(model))
    expected = churners["churn_driver"].map(DRIVER_FAMILY).to_numpy()
    top1 = reasons["family_1"].to_numpy() == expected
    top3 = top1 | (reasons["family_2"].to_numpy() == expected) | (reasons["family_3"].to_numpy() == expected)
    return float(top1.mean()), float(top3.mean()), len(churners)


def main() -> None:
    settings = load_settings()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select * from main.churn_training_set").df()
        horizon = con.execute("select any_value(horizon_days) from main.churn_labels").fetchone()[0]
    _, valid = time_split(rows)
    truth = pd.read_csv(settings.root / "demo_truth" / "ground_truth.csv", parse_dates=["churn_date", "returned_date"])
    version = alias_version(use_tracking_store(settings.mlflow_tracking_uri), "churn_model", "champion")
    model = load_version("churn_model", version)
    p = churn_probability(model, valid)
    label, real = valid["churned"].astype(int), true_churn(valid, truth, horizon)
    recency = valid["days_since_last_activity"]
    print(f"validation rows {len(valid)} over {valid['as_of_date'].nunique()} dates; champion v{version}")
    print(f"label rate {label.mean():.3f}; true churn rate {real.mean():.3f}; label agrees with truth on {(label == real).mean():.1%}")
    print(f"champion AUC vs label {roc_auc_score(label, p):.3f}   vs truth {roc_auc_score(real, p):.3f}")
    print(f"recency  AUC vs label {roc_auc_score(label, recency):.3f}   vs truth {roc_auc_score(real, recency):.3f}")
    top1, top3, n = reason_match(valid, real, truth, model)
    print(f"top reason names the true driver's family for {top1:.1%} of {n} true churners with an "
          f"experience/service/logistics/trust/price driver ({top3:.1%} within the top 3)")


if __name__ == "__main__":
    main()
