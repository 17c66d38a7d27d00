"""The `serving` asset: what BI tools read, published after every run."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.dbt.project import dbt_project
from pipeline.model.assets import SCORES_DOC
from pipeline.raw.contract import EVENT_LOADS_DOC
from pipeline.serving.docs import dbt_docs
from pipeline.serving.publish import TableDoc, current_version, publish
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
# The published tables that are not dbt models carry their descriptions next to their DDL.
CODE_DOCS = {"churn_scores": TableDoc(*SCORES_DOC), "event_loads": TableDoc(*EVENT_LOADS_DOC)}


def serving_docs() -> dict[str, TableDoc]:
    """COMMENT ON text of every published table: dbt's docs, or the code's for the others."""
    models = {name: asset for name, (asset, _) in SERVING_TABLES.items() if name not in CODE_DOCS}
    from_dbt = dbt_docs(dbt_project.manifest_path, sorted(set(models.values())))
    return {**{name: from_dbt[asset] for name, asset in models.items()}, **CODE_DOCS}


@dg.asset(
    group_name="serving", kinds={"duckdb", "parquet"}, pool="duckdb",
    deps=sorted({dg.AssetKey(asset) for asset, _ in SERVING_TABLES.values()}),
    description="Publishes the BI tables as one version (serving.duckdb and a Parquet file per table, with the "
                "dbt docs as comments) and switches data/serving to it atomically.",
)
def serving(settings: Settings, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        queries = {name: query for name, (_, query) in SERVING_TABLES.items()}
        counts = publish(con, queries, settings.serving_db, settings.serving_dir, serving_docs())
    return dg.MaterializeResult(metadata={
        "serving_db": dg.MetadataValue.path(str(settings.serving_db)),
        "version": current_version(settings.serving_dir),
        **{f"rows_{name}": count for name, count in counts.items()},
    })
