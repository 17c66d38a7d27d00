"""Train the churn model in MLflow behind a champion gate when training is due, then score the latest date."""

import json

import dagster as dg
import pandas as pd
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster_duckdb import DuckDBResource

from ml.causes import Evidence
from ml.config import TrainingConfig
from ml.registry import TrainingOutcome, train_and_register
from ml.score import use_tracking_store
from pipeline.model import training_set
from pipeline.model.ledger import replace_dates
from pipeline.model.retraining import TrainingDecision, tag_training, training_due
from pipeline.model.scoring import score_with_reasons
from pipeline.model.risk_tiers import RiskTierConfig
from pipeline.model.tracking import MlflowTracking

GATE_CHECK = "champion_gate"
RETAINED_DAYS = 56  # comparable retained users come from the labelled dates of the last 8 weeks
RETAINED_MAX_ROWS = 200_000  # a fixed sample of them past this (causes compare shares, not single users)
DRIFT_CHECK = dg.AssetCheckKey(dg.AssetKey("churn_scores"), "score_and_feature_drift")


class ChurnModelConfig(dg.Config):
    auc_floor: float = 0.6  # below this validation ROC-AUC the best model is reported as weak (a warning)
    ece_ceiling: float = 0.1  # above this calibration error a model is not picked or promoted while a better-calibrated one exists
    outreach_capacity: float = 500  # users contacted per date (>= 1) or a share (< 1), for lift/recall@capacity
    diagnostics: bool = True  # validation curves and permutation importance (about 10 s)
    retrain_every_days: int = 7  # train when the champion is this old (0 = every run); also on new features, a new churn definition or a drift alert
    force_retrain: bool = False  # train on this run whatever the schedule says
    # Past this many rows, training reads a fixed sample of users (all their dates): memory stays
    # bounded (5.4 M rows of 200 k users took 9.4 GB); 2 M rows train as well as more.
    max_training_rows: int = 2_000_000


def feature_catalog(con) -> dict[str, tuple[str, str]]:
    """{feature: (plain words, family)}: the model's features as dbt declares them."""
    return {f: (w, fam) for f, w, fam in con.execute(
        "select feature, words, family from main.feature_catalog where is_feature").fetchall()}


def cause_evidence(con) -> list[Evidence]:
    """The columns that are evidence of a cause, with their sentences: the declared ones first
    (a user shows the first they have), then the per-type counts."""
    return [Evidence(*row) for row in con.execute(
        "select feature, family, words, evidence from main.feature_catalog where evidence is not null "
        "order by event_type is not null, feature").fetchall()]


def feature_columns(frame: pd.DataFrame, catalog: dict) -> list[str]:
    """The catalog's features that have at least one value: a log without page timings (say)
    has those features all null, and a model cannot learn from a column never observed."""
    return [c for c in catalog if c in frame.columns and frame[c].notna().any()]


@dg.asset(
    group_name="model", kinds={"mlflow", "scikitlearn"}, pool="duckdb",
    deps=[dg.AssetKey("churn_training_set"), dg.AssetKey("feature_catalog")],
    check_specs=[dg.AssetCheckSpec(GATE_CHECK, asset="churn_model", blocking=True,
                                   description="The best model (candidate or baseline) beats the champion on the same validation rows, is calibrated and not weak, on enough data.")],
    description="When due (weekly, on new features or definition, after a drift alert, on request): trains candidates and baselines as MLflow child runs, registers the best of them in churn_model, and moves @champion only past the gate.",
)
def churn_model(context: dg.AssetExecutionContext, config: ChurnModelConfig, duckdb: DuckDBResource,
                mlflow: MlflowTracking) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        horizon, definition = con.execute("select any_value(horizon_days), any_value(churn_definition) from main.churn_labels").fetchone()
        catalog = feature_catalog(con)
        today = training_set.latest_date(con)
        latest_features = training_set.columns_with_values(con, list(catalog), today)

    def decide(features: list[str]) -> TrainingDecision:
        return training_due(
            use_tracking_store(mlflow.tracking_uri), mlflow.model_name, every_days=config.retrain_every_days,
            requested=config.force_retrain, today=today, features=features, definition=definition, horizon=horizon,
            drift_alert=_drift_alert(context.instance))

    # Most days training is not due, and reading every date of the training set is 2.7 M rows at
    # 100 k users: the latest date's feature columns decide first (counted in DuckDB), and when
    # they say due (a feature null today but not before, say) every row reads and decides again.
    decision = decide(latest_features)
    if decision.due:
        with duckdb.get_connection() as con:
            rows, user_share = training_set.rows_where(con, max_rows=config.max_training_rows)
        context.log.info(f"training rows: {len(rows)} ({user_share:.1%} of users)")
        features = feature_columns(rows, catalog)
        decision = decide(features)
    context.log.info(f"training {'due' if decision.due else 'not due'}: {decision.reason}")
    if not decision.due:
        return _champion_kept(decision)
    outcome = train_and_register(
        rows, features, tracking_uri=mlflow.tracking_uri, experiment_name=mlflow.experiment_name,
        model_name=mlflow.model_name, artifact_location=mlflow.artifact_location,
        params={"churn_horizon_days": horizon, "churn_definition": definition, "training_user_share": user_share},
        config=TrainingConfig(auc_floor=config.auc_floor, ece_ceiling=config.ece_ceiling,
                              capacity=config.outreach_capacity, diagnostics=config.diagnostics),
        feature_words={feature: words for feature, (words, _family) in catalog.items()},
    )
    context.log.info(f"{outcome.candidate} ({outcome.kind}) registered as v{outcome.model_version}: "
                     f"promoted={outcome.promoted} ({outcome.reason}); data_state={outcome.data_state}")
    tag_training(use_tracking_store(mlflow.tracking_uri), mlflow.model_name, outcome.model_version,
                 today=today, definition=definition, horizon=horizon, features=features)
    with duckdb.get_connection() as con:
        write_importance(con, outcome)
    return dg.MaterializeResult(
        metadata={"trained": True, "training_reason": decision.reason, "training_rows": len(rows),
                  "training_user_share": user_share,
                  "mlflow_parent_run_id": outcome.run_id, "model_version": outcome.model_version,
                  "best_candidate": outcome.candidate, "best_kind": outcome.kind,
                  "promoted_to_champion": outcome.promoted, "champion_kind": outcome.champion_kind,
                  "data_state": outcome.data_state, "data_message": outcome.data_message or "none",
                  **{f"valid_{name}": float(value) for name, value in outcome.metrics.items()},
                  "comparison": dg.MetadataValue.md(_comparison_table(outcome))},
        check_results=[_gate_result(outcome)],
    )


def _drift_alert(instance: dg.DagsterInstance) -> str | None:
    """The latest drift check on churn_scores, if it failed: a reason to train again."""
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key([DRIFT_CHECK])
    record = records.get(DRIFT_CHECK)
    if record is None or record.status != AssetCheckExecutionRecordStatus.FAILED:
        return None
    return f"the latest {DRIFT_CHECK.name} check failed (run {record.run_id[:8]})"


def _champion_kept(decision: TrainingDecision) -> dg.MaterializeResult:
    """No training today: the champion stays and the gate has nothing to judge."""
    return dg.MaterializeResult(
        metadata={"trained": False, "training_reason": decision.reason,
                  "model_version": decision.champion_version, "promoted_to_champion": False},
        check_results=[dg.AssetCheckResult(
            check_name=GATE_CHECK, passed=True,
            metadata={"decision": f"no training: {decision.reason}", "champion_version": decision.champion_version},
        )],
    )


def _gate_result(outcome: TrainingOutcome) -> dg.AssetCheckResult:
    """Passes when the new best model was promoted cleanly on enough data. Otherwise a warning:
    a weak model, too little data or a better old champion must not stop scoring. ERROR (which
    blocks scoring) only if no champion exists at all, which training now avoids whenever there
    are rows."""
    has_champion = outcome.promoted or outcome.champion_version is not None
    clean = outcome.data_state == "ok" and not outcome.failed_gates and not outcome.warnings
    return dg.AssetCheckResult(
        check_name=GATE_CHECK,
        passed=outcome.promoted and clean,
        severity=dg.AssetCheckSeverity.WARN if has_champion else dg.AssetCheckSeverity.ERROR,
        metadata={
            "decision": outcome.reason, "failed_gates": ", ".join(outcome.failed_gates) or "none",
            "warnings": "; ".join(outcome.warnings) or "none",
            "data_state": outcome.data_state, "data_message": outcome.data_message or "none",
            "best_model": f"{outcome.candidate} ({outcome.kind})", "champion_kind": outcome.champion_kind,
            "candidate_version": outcome.model_version, "champion_version": outcome.champion_version or "none",
            "candidate": json.dumps({k: round(v, 4) for k, v in outcome.metrics.items()}),
            "champion_on_same_rows": json.dumps({k: round(v, 4) for k, v in (outcome.champion_metrics or {}).items()}),
            "gates": json.dumps(outcome.gates),
        },
    )


def _comparison_table(outcome: TrainingOutcome) -> str:
    names = ["roc_auc", "pr_auc", "brier", "log_loss", "ece", "lift_top_decile"]
    lines = ["| run | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for run, metrics in outcome.comparison.items():  # a run fitted without validation has none
        lines.append(f"| {run} | " + " | ".join(f"{metrics.get(n, float('nan')):.3f}" for n in names) + " |")
    return "\n".join(lines)


@dg.asset(
    group_name="model", kinds={"mlflow", "duckdb"}, pool="duckdb",
    deps=[churn_model, dg.AssetKey("churn_training_set"), dg.AssetKey("feature_catalog")],
    description="Churn probability, risk tier, main cause with the user's evidence, symptom and top 3 reasons of every user on the latest date, from churn_model@champion; every day is kept in ml.churn_scores.",
)
def churn_scores(config: RiskTierConfig, duckdb: DuckDBResource, mlflow: MlflowTracking) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        # In user order: tiers break probability ties by position, and a re-run must give the same tiers.
        latest = training_set.rows_on(con, training_set.latest_date(con), order_by_user=True)
        # The users a cause is measured against: those who stayed, on the latest labelled dates.
        retained, _share = training_set.rows_where(con, "label_mature and churned = 0 and as_of_date between ? and ?",
                                                   training_set.labelled_window(con, RETAINED_DAYS), RETAINED_MAX_ROWS)
        words, evidence = feature_catalog(con), cause_evidence(con)
    scores = score_with_reasons(latest, config, words=words, evidence=evidence, retained=retained,
                                tracking_uri=mlflow.tracking_uri, model_name=mlflow.model_name)
    with duckdb.get_connection() as con:
        write_scores(con, scores)
    return dg.MaterializeResult(metadata={
        "users_scored": len(scores), "as_of_date": str(scores["as_of_date"].max()) if len(scores) else "",
        "model_version": scores["model_version"].iloc[0] if len(scores) else "",
        "mean_churn_probability": float(scores["churn_probability"].mean()) if len(scores) else 0.0,
        **{f"users_{tier}_risk": int((scores["risk_tier"] == tier).sum()) for tier in ("high", "medium", "low")},
    })


SCORES_DDL = """
create schema if not exists ml;
create table if not exists ml.churn_scores (
    user_id varchar not null, as_of_date date not null, churn_probability double not null,
    risk_tier varchar not null, model_version varchar not null,
    reason_1 varchar, reason_family_1 varchar, reason_2 varchar, reason_family_2 varchar,
    reason_3 varchar, reason_family_3 varchar, scored_at timestamp not null,
    main_cause varchar, main_cause_words varchar, main_cause_evidence varchar, symptom varchar
);
-- Scores written before causes existed: the columns come in empty.
alter table ml.churn_scores add column if not exists main_cause varchar;
alter table ml.churn_scores add column if not exists main_cause_words varchar;
alter table ml.churn_scores add column if not exists main_cause_evidence varchar;
alter table ml.churn_scores add column if not exists symptom varchar;
"""

# What ml.churn_scores holds, for the COMMENT ON of the serving file (it is not a dbt model).
SCORES_DOC = (
    "Grain: one row per user_id and as_of_date scored: the score ledger, every scoring date kept "
    "(re-scoring a date replaces it). user_segments shows the latest date.",
    {
        "user_id": "The user scored.",
        "as_of_date": "The observation date the features were taken on.",
        "churn_probability": "Probability of churning within churn_horizon_days (the champion model of that day).",
        "risk_tier": "high, medium or low (pipeline/model/risk_tiers.py; by default the riskiest 10 % and next 20 % "
                     "of the users scored, above the base rate).",
        "model_version": "Registered churn_model version that produced the score.",
        "reason_1": "The first reason in plain words (causes with this user's evidence first, then the symptom); "
                    "null for low-risk users.",
        "reason_family_1": "Cause family of reason_1 (experience, service, logistics, value_or_price, falling_engagement, trust).",
        "reason_2": "The second reason.",
        "reason_family_2": "Cause family of reason_2.",
        "reason_3": "The third reason.",
        "reason_family_3": "Cause family of reason_3.",
        "scored_at": "When the score was written.",
        "main_cause": "The cause family that raises this user's risk most against comparable retained users, "
                      "named only with this user's own evidence of it; null when there is none.",
        "main_cause_words": "The main cause in plain words (\"late deliveries\").",
        "main_cause_evidence": "This user's evidence of the main cause (\"2 late deliveries in the last 90 days\").",
        "symptom": "What is happening, in engagement words (\"no recent visit\").",
    },
)


def write_scores(con, scores: pd.DataFrame) -> None:
    """Re-scoring a date replaces it, so a re-run never doubles the ledger."""
    replace_dates(con, SCORES_DDL, "ml.churn_scores", scores,
                  "user_id, as_of_date, churn_probability, risk_tier, model_version, reason_1, reason_family_1, "
                  "reason_2, reason_family_2, reason_3, reason_family_3, now(), "
                  "main_cause, main_cause_words, main_cause_evidence, symptom")


def write_importance(con, outcome: TrainingOutcome) -> None:
    """Each version's feature importance, for the drift check and for BI."""
    con.execute("create schema if not exists ml")
    con.execute("create table if not exists ml.feature_importance (model_version varchar, feature varchar, importance double)")
    con.execute("delete from ml.feature_importance where model_version = ?", [outcome.model_version])
    rows = [(outcome.model_version, feature, float(value)) for feature, value in outcome.feature_importance.items()]
    if rows:
        con.executemany("insert into ml.feature_importance values (?, ?, ?)", rows)
