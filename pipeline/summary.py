"""The few lines `make run` ends with: what was scored, how good the model is, where things are."""

import duckdb
import mlflow

from pipeline.settings import Settings

MODEL_NAME = "churn_model"


def print_summary(settings: Settings) -> None:
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        users, as_of = con.execute("select count(*), max(as_of_date) from user_segments").fetchone()
        tiers = dict(con.execute("select risk_tier, count(*) from user_segments group by 1").fetchall())
    client = mlflow.MlflowClient(tracking_uri=settings.mlflow_tracking_uri)
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    metrics = client.get_run(champion.run_id).data.metrics
    print()
    print(f"Scored {users} users as of {as_of}: "
          + ", ".join(f"{tiers.get(t, 0)} {t} risk" for t in ("high", "medium", "low")))
    print(f"Champion {MODEL_NAME} v{champion.version}: validation ROC-AUC {metrics.get('roc_auc', float('nan')):.3f}"
          f" (recency-only baseline {metrics.get('baseline_recency_roc_auc', float('nan')):.3f})")
    print(f"Outputs for BI:   {settings.serving_db} (tables user_segments, churn_scores, event_loads)")
    print(f"                  {settings.serving_dir}/*.parquet")
    print(f"Working database: {settings.warehouse} (pipeline only; do not point BI here)")
    print("Dagster UI:       make dev     -> http://localhost:3000")
    print("MLflow UI:        make mlflow  -> http://localhost:5000")
