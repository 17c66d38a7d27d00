"""The MLflow experiment and what a parent run records about its data."""

import pandas as pd
from mlflow import MlflowClient

from ml.config import TrainingConfig
from ml.frame import labels


def ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """Artifact location can only be chosen at creation; an existing experiment keeps its own."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, artifact_location=artifact_location)


def run_params(
    train: pd.DataFrame, valid: pd.DataFrame, feature_columns: list[str], config: TrainingConfig
) -> dict:
    """What a data scientist needs to reproduce or compare the run from the MLflow UI."""
    return {
        "features": ",".join(feature_columns),
        "n_features": len(feature_columns),
        **_part_params("train", train),
        **_part_params("valid", valid),
        "capacity": config.capacity,
        **{f"gate.{name}": value for name, value in config.gates().items()},
    }


def _part_params(name: str, part: pd.DataFrame) -> dict:
    dates = pd.to_datetime(part["as_of_date"])
    return {
        f"{name}_rows": len(part),
        f"{name}_label_rate": round(float(labels(part).mean()), 6),
        f"{name}_start_date": f"{dates.min():%Y-%m-%d}",
        f"{name}_end_date": f"{dates.max():%Y-%m-%d}",
        f"{name}_n_dates": dates.nunique(),
    }
