"""The few lines `make run` ends with: what was scored, how good the model is, where things are."""

import os

import duckdb

from ml.score import use_tracking_store
from ml.tracking import key_metrics_url
from pipeline.settings import Settings

MODEL_NAME = "churn_model"


def print_summary(settings: Settings) -> None:
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        users, as_of = con.execute("select count(*), max(as_of_date) from user_segments").fetchone()
        tiers = dict(con.execute("select risk_tier, count(*) from user_segments group by 1").fetchall())
        statuses = dict(con.execute("select churn_status, count(*) from user_segments group by 1").fetchall())
        vip_share = con.execute("select max(revenue_share) from segment_summary where segment_type = 'value_tier' "
                                "and segment = 'vip' and as_of_date = (select max(as_of_date) from segment_summary)").fetchone()[0]
        tables = [r[0] for r in con.execute("show tables").fetchall()]
        actions = _action_lines(con)
    client = use_tracking_store(settings.mlflow_tracking_uri)
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    run = client.get_run(champion.run_id)
    # The training's parent run holds the winner's val/ metrics and every baseline's bar (a
    # champion that is itself a baseline has no bar of its own).
    parent_id = run.data.tags.get("mlflow.parentRunId")
    metrics = client.get_run(parent_id).data.metrics if parent_id else run.data.metrics
    print()
    scored = statuses.get("active", 0) + statuses.get("lapsed", 0)
    print(f"Scored {scored} of {users} users as of {as_of}: "
          + ", ".join(f"{tiers.get(t, 0)} {t} risk" for t in ("high", "medium", "low")))
    if lapsed := statuses.get("lapsed", 0):
        print(f"  {lapsed} of them lapsed already (no qualifying activity in the horizon): see win_back_probability")
    if off_spine := users - scored:
        print(f"  {off_spine} users have no live subscription (churn_status ended / never_subscribed): not scored")
    baselines = ", ".join(f"{k.removeprefix('baseline/').removesuffix('_roc_auc')} {v:.3f}"
                          for k, v in sorted(metrics.items()) if k.startswith("baseline/") and k.endswith("_roc_auc"))
    print(f"Champion {MODEL_NAME} v{champion.version}: validation ROC-AUC {metrics.get('val/roc_auc', float('nan')):.3f}"
          f" (baselines: {baselines or 'none'})")
    if vip_share is not None:
        print(f"VIP users hold {vip_share:.0%} of the last 30 days' revenue")
    for line in actions:
        print(line)
    print(f"Outputs for BI:   {settings.serving_db}")
    print(f"                  tables: {', '.join(tables)}")
    print(f"                  {settings.serving_dir}/*.parquet")
    print(f"Working database: {settings.warehouse} (pipeline only; do not point BI here)")
    # The Makefile's DAGSTER_PORT / MLFLOW_PORT, exported to `make run`.
    mlflow_ui = f"http://localhost:{os.environ.get('MLFLOW_PORT', '5000')}"
    print(f"Dagster UI:       make dev     -> http://localhost:{os.environ.get('DAGSTER_PORT', '3000')}")
    print(f"MLflow UI:        make mlflow  -> {mlflow_ui}")
    print(f"                  runs with their key metrics: {key_metrics_url(mlflow_ui, run.info.experiment_id)}")


def _action_lines(con) -> list[str]:
    """Today's queue and, once an outcome window has closed, what the actions achieved."""
    queued = con.execute("select action, count(*) from action_queue group by 1 order by 1").fetchall()
    held_out, decided = con.execute("select count(*) filter (where arm = 'control'), max(decision_date) "
                                    "from action_assignments where decision_date = (select max(decision_date) from action_queue)").fetchone()
    lines = [f"Action queue: {', '.join(f'{n} {action}' for action, n in queued) or 'nobody'} to contact "
             f"({held_out} more held out as control)" + (f", decided {decided}" if decided else "")]
    measured = con.execute("select action, treated_users, control_users, order_uplift, order_uplift_ci_low, order_uplift_ci_high "
                           "from uplift_report where incentive_type = 'all' and campaign_week is null order by action").fetchall()
    for action, treated, control, uplift, low, high in measured:
        figures = "no control users" if uplift is None else f"{uplift:+.1%} (CI {low:+.1%} to {high:+.1%})"
        lines.append(f"  measured {action}: order uplift {figures}, {treated} treated vs {control} control")
    if not measured:
        lines.append("  uplift_report: no outcome window has closed yet")
    return lines
