"""The `serving` asset: what BI tools read, published after every run."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.serving.publish import publish
from pipeline.settings import Settings

# Table name in the serving file -> query on the working database.
SERVING_TABLES = {
    "user_segments": "select * from main.user_segments",
    "segment_summary": "select * from main.segment_summary order by all",
    "lifecycle_transitions": "select * from main.lifecycle_transitions order by all",
    "kpi_daily": "select * from main.kpi_daily order by all",
    "cohort_retention": "select * from main.cohort_retention order by all",
    "churn_scores": "select * from ml.churn_scores",
    "event_loads": "select * from raw.event_loads order by landing_date",
}


@dg.asset(
    group_name="serving", kinds={"duckdb", "parquet"}, pool="duckdb",
    deps=[dg.AssetKey(name) for name in ("user_segments", "segment_summary", "lifecycle_transitions", "kpi_daily",
                                         "cohort_retention", "churn_scores", "raw_events")],
    description="Publishes the BI tables to data/serving.duckdb and data/serving/*.parquet (temp file, then rename).",
)
def serving(settings: Settings, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        counts = publish(con, SERVING_TABLES, settings.serving_db, settings.serving_dir)
    return dg.MaterializeResult(metadata={
        "serving_db": dg.MetadataValue.path(str(settings.serving_db)),
        **{f"rows_{name}": count for name, count in counts.items()},
    })
