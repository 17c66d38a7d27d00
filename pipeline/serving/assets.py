"""The `serving` asset: what BI tools read, published after every run."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.serving.publish import publish
from pipeline.settings import Settings

# Table name in the serving file -> (the asset it comes from, query on the working database).
SERVING_TABLES = {
    "user_segments": ("user_segments", "select * from main.user_segments"),
    "segment_summary": ("segment_summary", "select * from main.segment_summary order by all"),
    "lifecycle_transitions": ("lifecycle_transitions", "select * from main.lifecycle_transitions order by all"),
    "kpi_daily": ("kpi_daily", "select * from main.kpi_daily order by all"),
    "cohort_retention": ("cohort_retention", "select * from main.cohort_retention order by all"),
    "score_backtest": ("score_backtest", "select * from main.score_backtest order by all"),
    "churn_cause_diagnosis": ("churn_cause_diagnosis", "select * from main.churn_cause_diagnosis order by all"),
    "action_queue": ("action_queue", "select * from main.action_queue"),
    "action_assignments": ("action_assignments", "select * from main.action_assignments order by decision_date, user_id"),
    "action_outcomes": ("action_outcomes", "select * from main.action_outcomes order by decision_date, user_id"),
    "uplift_report": ("uplift_report", "select * from main.uplift_report"),
    "ab_test_report": ("ab_test_report", "select * from main.ab_test_report"),
    "churn_scores": ("churn_scores", "select * from ml.churn_scores"),
    "event_loads": ("raw_events", "select * from raw.event_loads order by landing_date"),
}


@dg.asset(
    group_name="serving", kinds={"duckdb", "parquet"}, pool="duckdb",
    deps=sorted({dg.AssetKey(asset) for asset, _ in SERVING_TABLES.values()}),
    description="Publishes the BI tables to data/serving.duckdb and data/serving/*.parquet (temp file, then rename).",
)
def serving(settings: Settings, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        queries = {name: query for name, (_, query) in SERVING_TABLES.items()}
        counts = publish(con, queries, settings.serving_db, settings.serving_dir)
    return dg.MaterializeResult(metadata={
        "serving_db": dg.MetadataValue.path(str(settings.serving_db)),
        **{f"rows_{name}": count for name, count in counts.items()},
    })
