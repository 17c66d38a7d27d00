"""How long train_and_register takes on a realistic training set, and how the models compare.

    .venv/bin/python benchmarks/bench_training.py WAREHOUSE.duckdb [--derive] [--no-diagnostics]

Reads main.churn_training_set from a copy of the warehouse (read-only), trains into a throwaway
MLflow store, and prints the validation metrics of every candidate and baseline and the time
each child run took. --derive adds, when the table lacks them, the purchase-history columns
(computed from int_user_days_aggregated) and crude value_tier / lifecycle_stage proxies, so the
BG/NBD baseline and the per-segment metrics can be timed before dbt provides them.
Target: each training under ~60 s on 2 cores for ~100k rows x ~40 features.
"""

import argparse
import tempfile
import time

import duckdb
import pandas as pd
from mlflow import MlflowClient

from ml.config import TrainingConfig
from ml.registry import train_and_register

NOT_FEATURES = {"user_id", "as_of_date", "churned", "label_mature"}
PURCHASE_HISTORY = """
with order_days as (select user_id, activity_date from int_user_days_aggregated where orders > 0)
select spine.user_id, spine.as_of_date,
    case when count(order_days.activity_date) > 0 then count(order_days.activity_date) - 1 end
        as repeat_order_days,
    datediff('day', min(order_days.activity_date), max(order_days.activity_date))
        as first_to_last_order_days,
    datediff('day', min(order_days.activity_date), any_value(spine.as_of_date))
        as first_order_age_days
from (select distinct user_id, as_of_date from churn_training_set) as spine
left join order_days
    on order_days.user_id = spine.user_id and order_days.activity_date <= spine.as_of_date
group by spine.user_id, spine.as_of_date
"""


def load(path: str, derive: bool) -> tuple[pd.DataFrame, dict]:
    """(training rows, run context as the churn_model asset passes it)."""
    with duckdb.connect(path, read_only=True) as con:
        rows = con.sql("select * from main.churn_training_set").df()
        # fetchall, not fetchone: this DuckDB refuses the next query while a result is unread.
        [(horizon, definition)] = con.execute(
            "select any_value(horizon_days), any_value(churn_definition) from main.churn_labels"
        ).fetchall()
        if derive and "repeat_order_days" not in rows.columns:
            rows = rows.merge(con.sql(PURCHASE_HISTORY).df(), on=["user_id", "as_of_date"])
    if derive and "value_tier" not in rows.columns:
        spend = rows["order_value_90d"].fillna(0).rank(pct=True)
        names = ["silent", "regular", "potential", "vip"]
        rows["value_tier"] = pd.cut(spend, [0, 0.5, 0.8, 0.95, 1.0], labels=names).astype(str)
        idle = rows["days_since_last_activity"]
        rows["lifecycle_stage"] = "active"
        rows.loc[rows["tenure_days"] <= 14, "lifecycle_stage"] = "new"
        rows.loc[idle >= 14, "lifecycle_stage"] = "declining"
        rows.loc[idle >= 30, "lifecycle_stage"] = "silent"
    return rows, {"churn_horizon_days": horizon, "churn_definition": definition}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("--derive", action="store_true")
    parser.add_argument("--no-diagnostics", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="runs after the first face a champion")
    args = parser.parse_args()
    rows, context = load(args.warehouse, args.derive)
    numeric = [c for c in rows.columns if pd.api.types.is_numeric_dtype(rows[c])]
    features = [c for c in numeric if c not in NOT_FEATURES]
    print(f"rows {len(rows):,}  features {len(features)}")
    with tempfile.TemporaryDirectory() as root:
        uri = f"sqlite:///{root}/mlflow.db"
        MlflowClient(uri).search_experiments()  # create the store's tables outside the timing
        for _ in range(args.runs):
            began = time.perf_counter()
            outcome = train_and_register(
                rows, features, tracking_uri=uri, artifact_location=f"{root}/artifacts",
                params=context,
                config=TrainingConfig(diagnostics=not args.no_diagnostics),
            )
            _report(outcome, MlflowClient(uri), time.perf_counter() - began)


def _report(outcome, client: MlflowClient, total: float) -> None:
    table = pd.DataFrame(outcome.comparison).T
    seconds = {
        name: (run.info.end_time - run.info.start_time) / 1000
        for name, run in ((n, client.get_run(i)) for n, i in outcome.child_run_ids.items())
    }
    table["seconds"] = pd.Series(seconds)
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print(table.round(4))
    print(f"best {outcome.candidate} -> v{outcome.model_version}; promoted={outcome.promoted}")
    print(f"reason: {outcome.reason}")
    print(f"skipped: {outcome.skipped or 'none'}; segment metrics: {len(outcome.segment_metrics)}")
    print("top features:", list(outcome.feature_importance)[:8])
    print(f"train_and_register: {total:.1f} s")


if __name__ == "__main__":
    main()
