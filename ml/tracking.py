"""The MLflow experiment, what a parent run records about its data, and its summary of the
child runs."""

import mlflow
import pandas as pd
from mlflow import MlflowClient

from ml.compare import RunResult
from ml.config import TrainingConfig
from ml.data_state import DataState
from ml.frame import labels


def ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """Artifact location can only be chosen at creation; an existing experiment keeps its own."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, artifact_location=artifact_location)


def run_params(
    train: pd.DataFrame,
    valid: pd.DataFrame | None,
    feature_columns: list[str],
    config: TrainingConfig,
) -> dict:
    """What a data scientist needs to reproduce or compare the run from the MLflow UI."""
    return {
        "features": ",".join(feature_columns),
        "n_features": len(feature_columns),
        **_part_params("train", train),
        **({"valid_rows": 0} if valid is None else _part_params("valid", valid)),
        "capacity": config.capacity,
        **{f"gate.{name}": value for name, value in config.gates().items()},
    }


def _part_params(name: str, part: pd.DataFrame) -> dict:
    if part.empty:
        return {f"{name}_rows": 0}
    dates = pd.to_datetime(part["as_of_date"])
    return {
        f"{name}_rows": len(part),
        f"{name}_label_rate": round(float(labels(part).mean()), 6),
        f"{name}_start_date": f"{dates.min():%Y-%m-%d}",
        f"{name}_end_date": f"{dates.max():%Y-%m-%d}",
        f"{name}_n_dates": dates.nunique(),
    }


def log_summary(
    best: RunResult, results: list[RunResult], skipped: dict[str, str], state: DataState
) -> None:
    """The parent holds the winner's metrics under plain names, every run's as `{name}__{metric}`,
    and the table as comparison.json, so one run page answers "did the model beat the baselines"."""
    mlflow.log_metrics(best.metrics)
    mlflow.log_metrics({f"{r.name}__{k}": v for r in results for k, v in r.metrics.items()})
    # A registered version points at its model's run; give the candidates the bar they had to clear.
    baselines = [r for r in results if r.kind == "baseline" and "roc_auc" in r.metrics]
    bars = {f"baseline_{r.name}_roc_auc": r.metrics["roc_auc"] for r in baselines}
    for candidate in [r for r in results if r.kind == "candidate"]:
        mlflow.log_metrics(bars, run_id=candidate.run_id)
    mlflow.log_dict({r.name: {"kind": r.kind, **r.metrics} for r in results}, "comparison.json")
    mlflow.set_tags(
        {
            "best_model": best.name,
            "best_kind": best.kind,
            "data_state": state.state,
            "data_message": state.message or "none",
            **{f"skipped.{name}": why for name, why in skipped.items()},
        }
    )
