"""Train every candidate and baseline under one MLflow parent run, register the best candidate,
and move the champion alias only to a model that passes the gates."""

from dataclasses import dataclass, field

import mlflow
import pandas as pd

from ml.baselines import fit_baselines
from ml.candidates import candidate_specs
from ml.compare import RunResult, run_baseline, run_candidate
from ml.config import TrainingConfig
from ml.gate import GATE_METRIC, decide, record_decision, set_champion
from ml.score import use_tracking_store
from ml.split import time_split
from ml.tracking import ensure_experiment, run_params

# set_champion lives with the gate; it is exported here beside the training it undoes.
__all__ = ["TrainingOutcome", "set_champion", "train_and_register"]


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str  # the parent run
    model_version: str  # the registered version of the best candidate
    metrics: dict[str, float]  # the best candidate on all validation rows
    champion_metrics: dict[str, float] | None  # the previous champion on the same rows
    promoted: bool
    reason: str
    candidate: str = ""  # name of the best candidate
    champion_version: str | None = None  # the champion before this training
    gates: dict[str, float] = field(default_factory=dict)  # thresholds applied
    failed_gates: tuple[str, ...] = ()  # "auc_floor", "ece_ceiling", "beats_champion"
    comparison: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> metrics
    segment_metrics: dict[str, float] = field(default_factory=dict)  # best candidate's
    skipped: dict[str, str] = field(default_factory=dict)  # baseline -> why it was skipped
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
) -> TrainingOutcome:
    """Fit on earlier dates, compare on later ones, register the best, gate the champion alias.

    `params` is run context (horizon, churn definition, ...) logged as-is; `model_params`
    override the gradient boosting candidate's HGB_PARAMS; `config` holds everything else.
    """
    config = config or TrainingConfig()
    client = use_tracking_store(tracking_uri)
    experiment_id = ensure_experiment(client, experiment_name, artifact_location)
    train, valid = time_split(rows, valid_fraction=valid_fraction)
    with mlflow.start_run(experiment_id=experiment_id, run_name="training") as parent:
        mlflow.log_params({**(params or {}), **run_params(train, valid, feature_columns, config)})
        results, skipped = _compare(train, valid, feature_columns, model_params, params, config)
        best = max(_candidates(results), key=lambda result: result.metrics[GATE_METRIC])
        version = str(mlflow.register_model(best.model_uri, model_name).version)
        decision = decide(client, model_name, valid, best.metrics, config.gates(), config.capacity)
        _log_summary(best, results, skipped)
        record_decision(client, parent.info.run_id, model_name, version, best.metrics, decision)
    return TrainingOutcome(
        run_id=parent.info.run_id,
        model_version=version,
        metrics=best.metrics,
        champion_metrics=decision.champion_metrics,
        promoted=decision.promoted,
        reason=decision.reason,
        candidate=best.name,
        champion_version=decision.champion_version,
        gates=config.gates(),
        failed_gates=decision.failed_gates,
        comparison={r.name: r.metrics for r in results},
        segment_metrics=best.segments,
        skipped=skipped,
        child_run_ids={r.name: r.run_id for r in results},
        feature_importance={} if best.importance is None else best.importance.to_dict(),
    )


def _compare(train, valid, features, model_params, params, config: TrainingConfig):
    """Candidates first, then the baselines, each in its own child run."""
    specs = candidate_specs(model_params, config.logistic_params)
    results = [run_candidate(spec, train, valid, features, config) for spec in specs]
    baselines, skipped = fit_baselines(train, config.horizon(params), config.min_buyers)
    results += [run_baseline(baseline, valid, config) for baseline in baselines]
    return results, skipped


def _candidates(results: list[RunResult]) -> list[RunResult]:
    return [result for result in results if result.kind == "candidate"]


def _baselines(results: list[RunResult]) -> list[RunResult]:
    return [result for result in results if result.kind == "baseline"]


def _log_summary(best: RunResult, results: list[RunResult], skipped: dict[str, str]) -> None:
    """The parent holds the winner's metrics under plain names, every run's as `{name}__{metric}`,
    and the table as comparison.json, so one run page answers "did the model beat the baselines"."""
    mlflow.log_metrics(best.metrics)
    mlflow.log_metrics({f"{r.name}__{k}": v for r in results for k, v in r.metrics.items()})
    # A registered version points at its candidate's run; give that run the bar it had to clear.
    bars = {f"baseline_{r.name}_roc_auc": r.metrics["roc_auc"] for r in _baselines(results)}
    for candidate in _candidates(results):
        mlflow.log_metrics(bars, run_id=candidate.run_id)
    mlflow.log_dict({r.name: {"kind": r.kind, **r.metrics} for r in results}, "comparison.json")
    skip_tags = {f"skipped.{name}": why for name, why in skipped.items()}
    mlflow.set_tags({"best_candidate": best.name, **skip_tags})
