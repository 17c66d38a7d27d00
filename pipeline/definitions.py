"""Everything Dagster loads: `dagster dev -w workspace.yaml` points here."""

import sys
from pathlib import Path

import dagster as dg

from pipeline.alerts import alert_on_run_failure
from pipeline.dbt.assets import build_dbt_assets
from pipeline.dbt.project import dbt_project
from pipeline.dbt.resource import ChurnDbtCliResource
from pipeline.jobs import build_daily_job, build_landing_sensor, build_schedule, daily_partitions
from pipeline.model.assets import churn_model, churn_scores
from pipeline.model.customer_value import customer_value
from pipeline.model.drift_check import score_and_feature_drift_check
from pipeline.model.leakage import features_use_no_future_events
from pipeline.model.tracking import MlflowTracking
from pipeline.privacy.assets import delete_users_job, user_deletions
from pipeline.raw.assets import build_raw_events
from pipeline.raw.subscriptions_asset import raw_subscriptions
from pipeline.retries import WarehouseDuckDB
from pipeline.serving.assets import serving
from pipeline.settings import Settings, load_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    daily = daily_partitions(settings)
    job = build_daily_job()
    return dg.Definitions(
        assets=[build_raw_events(daily), raw_subscriptions, *build_dbt_assets(daily), churn_model, churn_scores, customer_value, serving, user_deletions],
        asset_checks=[features_use_no_future_events, score_and_feature_drift_check],
        jobs=[job, delete_users_job],
        schedules=[build_schedule(job)],
        sensors=[build_landing_sensor(job, daily), alert_on_run_failure],
        resources={
            "settings": settings,
            # Lock errors retry the step; DuckDB keeps to the configured memory and threads.
            "duckdb": WarehouseDuckDB(database=str(settings.warehouse), connection_config=settings.duckdb_config()),
            # The dbt of this environment, whether or not the virtualenv is activated.
            "dbt": ChurnDbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.prefix) / "bin" / "dbt")),
            "mlflow": MlflowTracking(
                tracking_uri=settings.mlflow_tracking_uri, artifact_location=str(settings.mlflow_artifacts)
            ),
        },
        # Every step opens the one DuckDB file, whose lock is exclusive across processes:
        # run steps one after another in the run's own process.
        executor=dg.in_process_executor,
    )


defs = build_definitions(load_settings())
