"""Train, track in MLflow, register, and move the champion alias only to a better model."""

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

from ml.metrics import classification_metrics
from ml.score import (
    alias_version,
    churn_probability,
    load_version,
    unscorable_reason,
    use_tracking_store,
)
from ml.split import time_split
from ml.train import (
    MODEL_PARAMS,
    baseline_recency_auc,
    feature_matrix,
    fit_model,
    predict_churn,
)

CHAMPION_ALIAS = "champion"
# MLflow 3 saves sklearn models with skops, which refuses types not on an allow-list; the tree
# predictor of HistGradientBoosting must be trusted explicitly (the list is stored with the model).
SKOPS_TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
GATE_METRIC = "roc_auc"


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str
    model_version: str
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None  # the previous champion on the same validation rows
    promoted: bool
    reason: str


@dataclass(frozen=True)
class _Decision:
    promoted: bool
    reason: str
    champion_version: str | None
    champion_metrics: dict[str, float] | None


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
) -> TrainingOutcome:
    """Fit on earlier dates, evaluate on later ones, register, and gate the champion alias.

    `params` is run context (horizon, feature set, ...) logged as-is; `model_params` override
    the classifier's MODEL_PARAMS.
    """
    client = use_tracking_store(tracking_uri)
    experiment_id = _ensure_experiment(client, experiment_name, artifact_location)
    train, valid = time_split(rows, valid_fraction=valid_fraction)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params(
            {**(params or {}), **_run_params(train, valid, feature_columns, model_params)}
        )
        model = fit_model(train, feature_columns, model_params)
        metrics = _validation_metrics(model, valid, feature_columns)
        mlflow.log_metrics(metrics)
        version = _log_and_register(model, train, feature_columns, model_name)
        decision = _gate(client, model_name, valid, metrics)
        _record_decision(client, run.info.run_id, model_name, version, metrics, decision)
    return TrainingOutcome(
        run.info.run_id,
        version,
        metrics,
        decision.champion_metrics,
        decision.promoted,
        decision.reason,
    )


def _ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """Artifact location can only be chosen at creation; an existing experiment keeps its own."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, artifact_location=artifact_location)


def _run_params(
    train: pd.DataFrame, valid: pd.DataFrame, feature_columns: list[str], model_params: dict | None
) -> dict:
    """What a data scientist needs to reproduce or compare the run from the MLflow UI."""
    settings = {**MODEL_PARAMS, **(model_params or {})}
    return {
        **{f"model.{key}": value for key, value in settings.items()},
        "features": ",".join(feature_columns),
        "n_features": len(feature_columns),
        **_part_params("train", train),
        **_part_params("valid", valid),
    }


def _part_params(name: str, part: pd.DataFrame) -> dict:
    dates = pd.to_datetime(part["as_of_date"])
    return {
        f"{name}_rows": len(part),
        f"{name}_label_rate": round(float(part["churned"].astype(int).mean()), 6),
        f"{name}_start_date": f"{dates.min():%Y-%m-%d}",
        f"{name}_end_date": f"{dates.max():%Y-%m-%d}",
        f"{name}_n_dates": dates.nunique(),
    }


def _validation_metrics(
    model: Pipeline, valid: pd.DataFrame, feature_columns: list[str]
) -> dict[str, float]:
    metrics = classification_metrics(valid["churned"], predict_churn(model, valid, feature_columns))
    baseline = baseline_recency_auc(valid)
    if baseline is not None:
        metrics["baseline_recency_roc_auc"] = baseline
    return metrics


def _log_and_register(
    model: Pipeline, train: pd.DataFrame, feature_columns: list[str], model_name: str
) -> str:
    """Log with a signature so scoring (and the next gate) knows the model's input columns."""
    example = feature_matrix(train, feature_columns).head(5)
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=infer_signature(example, model.predict_proba(example)),
        input_example=example,
        pyfunc_predict_fn="predict_proba",
        registered_model_name=model_name,
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        # Explicit requirements skip MLflow's inference, which re-imports the model in a
        # subprocess (~10 s per run) and picks up whatever else the process has imported.
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
    )
    return str(info.registered_model_version)


def _gate(
    client: MlflowClient, model_name: str, valid: pd.DataFrame, metrics: dict[str, float]
) -> _Decision:
    """Compare with the current champion on the very same validation rows, never on old numbers."""
    champion = alias_version(client, model_name, CHAMPION_ALIAS)
    if champion is None:
        return _Decision(True, "no champion yet", None, None)
    champion_model = load_version(model_name, champion)
    # A champion built on features that no longer exist must not block a new feature set.
    if unusable := unscorable_reason(champion_model, valid):
        return _Decision(True, f"champion v{champion} cannot be scored: {unusable}", champion, None)
    probability = churn_probability(champion_model, valid)
    champion_metrics = classification_metrics(valid["churned"], probability)
    candidate, incumbent = metrics[GATE_METRIC], champion_metrics[GATE_METRIC]
    promoted = candidate > incumbent
    reason = (
        f"candidate {GATE_METRIC} {candidate:.4f} {'>' if promoted else '<='} champion "
        f"v{champion} {incumbent:.4f} on the same {len(valid)} validation rows"
    )
    return _Decision(promoted, reason, champion, champion_metrics)


def _record_decision(
    client: MlflowClient,
    run_id: str,
    model_name: str,
    version: str,
    metrics: dict[str, float],
    decision: _Decision,
) -> None:
    """Move the alias first, then tag the run and the version so both tell the same story."""
    if decision.promoted:
        client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)
    if decision.champion_metrics is not None:
        mlflow.log_metrics({f"champion_{k}": v for k, v in decision.champion_metrics.items()})
    tags = {
        "champion_decision": "promoted" if decision.promoted else "rejected",
        "champion_reason": decision.reason,
        "previous_champion_version": decision.champion_version or "none",
    }
    for key, value in {**tags, "model_version": version}.items():
        client.set_tag(run_id, key, value)
    for key, value in {**tags, f"validation_{GATE_METRIC}": f"{metrics[GATE_METRIC]:.6f}"}.items():
        client.set_model_version_tag(model_name, version, key, value)
