"""Train every candidate and baseline under one MLflow parent run, register the best of them (a
baseline can win), and move the champion alias past the gates (ml/gate.py).

Training never ends without a registered model when there are rows: on too little data it
fits what it can and says so (ml/data_state.py)."""

from dataclasses import dataclass, field

import mlflow
import pandas as pd

from ml.baselines import fit_base_rate, fit_baselines, fit_fallback
from ml.calibration import calibration_plan
from ml.candidates import candidate_specs
from ml.compare import RunResult, run_baseline, run_candidate
from ml.config import TrainingConfig
from ml.data_state import DataState, split_for_training
from ml.frame import RECENCY_COLUMN
from ml.gate import KIND_TAG, decide, decide_unvalidated, record_decision, set_champion
from ml.model_card import describe_model, describe_version
from ml.score import use_tracking_store
from ml.selection import pick_best
from ml.tracking import ensure_experiment, log_summary, parent_run_name, run_params

# set_champion lives with the gate; it is exported here beside the training it undoes.
__all__ = ["TrainingOutcome", "set_champion", "train_and_register"]


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str  # the parent run
    model_version: str  # the registered version of the best model
    metrics: dict[str, float]  # the best model on all validation rows; {} if none could be
    champion_metrics: dict[str, float] | None  # the previous champion on the same rows
    promoted: bool
    reason: str
    candidate: str = ""  # name of the best model: a candidate or a baseline
    kind: str = "candidate"  # of the best model: "candidate" or "baseline"
    champion_kind: str = "candidate"  # of the model that holds @champion after this training
    data_state: str = "ok"  # or "not_enough_data"; see ml/data_state.py
    data_message: str = ""  # what was short, and what was fitted instead
    warnings: tuple[str, ...] = ()  # e.g. a weak model (below auc_floor)
    champion_version: str | None = None  # the champion before this training
    gates: dict[str, float] = field(default_factory=dict)  # thresholds applied
    failed_gates: tuple[str, ...] = ()  # "ece_ceiling", "beats_champion"
    comparison: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> metrics
    segment_metrics: dict[str, float] = field(default_factory=dict)  # the best model's
    skipped: dict[str, str] = field(default_factory=dict)  # model -> why it was skipped
    child_run_ids: dict[str, str] = field(default_factory=dict)
    feature_importance: dict[str, float] = field(default_factory=dict)  # largest first


def train_and_register(
    rows: pd.DataFrame,
    feature_columns: list[str],
    *,
    tracking_uri: str,
    experiment_name: str = "churn",
    model_name: str = "churn_model",
    artifact_location: str | None = None,
    params: dict | None = None,
    model_params: dict | None = None,
    valid_fraction: float = 0.25,
    config: TrainingConfig | None = None,
    feature_words: dict[str, str] | None = None,
) -> TrainingOutcome:
    """Fit on earlier dates, compare on later ones, register the best, gate the champion alias.

    `params` is run context (horizon, churn definition, ...) logged as-is; `model_params`
    override the gradient boosting candidate's HGB_PARAMS; `config` holds everything else;
    `feature_words` ({feature: plain words}) go into the registered version's description.
    """
    config = config or TrainingConfig()
    client = use_tracking_store(tracking_uri)
    experiment_id = ensure_experiment(client, experiment_name, artifact_location)
    train, valid, state = split_for_training(rows, valid_fraction)
    signed = _signed_column(rows, feature_columns)
    run_name = parent_run_name(train, valid, rows)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as parent:
        mlflow.log_params({**(params or {}), **run_params(train, valid, feature_columns, config)})
        if valid is None:
            results, skipped, state = _fallback(train, rows, signed, state, config)
        else:
            results, skipped, state = _compare(train, valid, feature_columns, signed, state,
                                               model_params, params, config)
        best = pick_best(results, config.ece_ceiling)
        version = _register(client, model_name, best)
        if valid is None:
            decision = decide_unvalidated(client, model_name, rows, best)
        else:
            decision = decide(client, model_name, valid, best, results, config.gates(),
                              config.capacity)
        log_summary(best, results, skipped, state)
        record_decision(client, parent.info.run_id, model_name, version, best.metrics, decision)
        context = params or {}
        describe_model(client, model_name, context.get("churn_definition"), context.get("churn_horizon_days"),
                       config.gates())
        describe_version(client, model_name, version, run_name=run_name, kind=best.kind, name=best.name,
                         metrics=best.metrics, decision=decision, features=feature_columns,
                         feature_words=feature_words)
    return TrainingOutcome(
        run_id=parent.info.run_id,
        model_version=version,
        metrics=best.metrics,
        champion_metrics=decision.champion_metrics,
        promoted=decision.promoted,
        reason=decision.reason,
        candidate=best.name,
        kind=best.kind,
        champion_kind=decision.champion_kind,
        data_state=state.state,
        data_message=state.message,
        warnings=decision.warnings,
        champion_version=decision.champion_version,
        gates=config.gates(),
        failed_gates=decision.failed_gates,
        comparison={r.name: r.metrics for r in results},
        segment_metrics=best.segments,
        skipped=skipped,
        child_run_ids={r.name: r.run_id for r in results},
        feature_importance={} if best.importance is None else best.importance.to_dict(),
    )


def _fallback(labelled, rows, signed, state: DataState, config):
    """Nothing to validate on: one model fitted on every labelled row, in a child run."""
    fallback = fit_fallback(labelled, signed)
    state = state.noting(f"fitted {fallback.name} on all {len(labelled)} labelled rows")
    return [run_baseline(fallback, None, rows, config)], {}, state


def _compare(train, valid, features, signed, state: DataState, model_params, params, config):
    """Baselines first (the simpler model wins a tie), then the candidates, each in a child run;
    the base rate only if neither could be fitted. Returns (results, skipped, state)."""
    baselines, skipped = fit_baselines(train, config.horizon(params), config.min_buyers)
    results = [run_baseline(baseline, valid, train, config) for baseline in baselines]
    plan = calibration_plan(train, features, config.calibration_folds)
    if plan.dropped:
        mlflow.set_tag("candidate_features_left_out", ",".join(plan.dropped))
    if plan.features:
        specs = candidate_specs(model_params, config.logistic_params)
        results += [run_candidate(spec, train, valid, plan, config) for spec in specs]
    else:
        skipped["candidates"] = "no feature column has a value in the training rows"
    if not results:
        results = [run_baseline(fit_base_rate(train, signed), valid, train, config)]
    return results, skipped, state.noting(plan.note)


def _register(client, model_name: str, best: RunResult) -> str:
    version = str(mlflow.register_model(best.model_uri, model_name).version)
    client.set_model_version_tag(model_name, version, KIND_TAG, best.kind)
    return version


def _signed_column(rows: pd.DataFrame, features: list[str]) -> str:
    """The column a base-rate model is signed over (it reads none; see rules.ConstantRate)."""
    if RECENCY_COLUMN in rows.columns:
        return RECENCY_COLUMN
    if not features:
        raise ValueError(f"No feature columns given and the rows have no {RECENCY_COLUMN}")
    return features[0]
