"""Train the churn model in MLflow, then score the latest date with the champion."""

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from ml.registry import train_and_register
from ml.score import score
from pipeline.model.tracking import MlflowTracking

NOT_FEATURES = {"user_id", "as_of_date", "churned", "label_mature"}

SCORES_DDL = """
create schema if not exists ml;
create table if not exists ml.churn_scores (
    user_id varchar not null, as_of_date date not null, churn_probability double not null,
    model_version varchar not null, scored_at timestamp not null
);
"""


def feature_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in NOT_FEATURES and pd.api.types.is_numeric_dtype(frame[c])]


@dg.asset(
    group_name="model", kinds={"mlflow", "scikitlearn"}, pool="duckdb",
    deps=[dg.AssetKey("churn_training_set")],
    description="Trains a candidate on matured labels, logs it to MLflow and moves churn_model@champion only if it is better.",
)
def churn_model(context: dg.AssetExecutionContext, duckdb: DuckDBResource, mlflow: MlflowTracking) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        rows = con.sql("select * from main.churn_training_set").df()
        horizon, definition = con.execute("select any_value(horizon_days), any_value(churn_definition) from main.churn_labels").fetchone()
    outcome = train_and_register(
        rows, feature_columns(rows), tracking_uri=mlflow.tracking_uri, experiment_name=mlflow.experiment_name,
        model_name=mlflow.model_name, artifact_location=mlflow.artifact_location,
        params={"churn_horizon_days": horizon, "churn_definition": definition},
    )
    context.log.info(f"model version {outcome.model_version}: promoted={outcome.promoted} ({outcome.reason})")
    return dg.MaterializeResult(metadata={
        "mlflow_run_id": outcome.run_id, "model_version": outcome.model_version,
        "promoted_to_champion": outcome.promoted, "reason": outcome.reason,
        **{f"valid_{name}": float(value) for name, value in outcome.metrics.items()},
    })


@dg.asset(
    group_name="model", kinds={"mlflow", "duckdb"}, pool="duckdb",
    deps=[churn_model, dg.AssetKey("user_features")],
    description="Churn probability of every user on the latest date, from churn_model@champion, kept per date in ml.churn_scores.",
)
def churn_scores(duckdb: DuckDBResource, mlflow: MlflowTracking) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        latest = con.sql("select * from main.user_features where as_of_date = (select max(as_of_date) from main.user_features)").df()
    scores = score(latest, tracking_uri=mlflow.tracking_uri, model_name=mlflow.model_name)
    with duckdb.get_connection() as con:
        con.execute(SCORES_DDL)
        con.register("scores", scores)
        con.execute("begin transaction")
        # Re-scoring a date replaces it, so a re-run never doubles the ledger.
        con.execute("delete from ml.churn_scores where as_of_date in (select distinct as_of_date from scores)")
        con.execute("insert into ml.churn_scores select user_id, as_of_date, churn_probability, model_version, now() from scores")
        con.execute("commit")
    return dg.MaterializeResult(metadata={
        "users_scored": len(scores), "as_of_date": str(latest["as_of_date"].max()) if len(latest) else "",
        "model_version": scores["model_version"].iloc[0] if len(scores) else "",
        "mean_churn_probability": float(scores["churn_probability"].mean()) if len(scores) else 0.0,
    })
