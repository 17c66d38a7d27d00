"""The MLflow experiment as a data scientist reads it: how runs are named, which metrics they log
under which names, what a parent run records about its data, and its summary of the child runs.

Metric names carry a "/" group (the MLflow UI draws one chart section per group): `val/...` for
the validation metrics, `champion/...` for the previous champion re-scored on the same rows,
`baseline/...` for the bar a candidate had to clear, `evaluate/...` for mlflow.evaluate's own.
Per-segment detail goes to a table artifact (segment_metrics.json), not to scalar metrics: as
scalars it made a hundred single-bar charts and columns."""

import json
from typing import TYPE_CHECKING

import mlflow
import pandas as pd
from mlflow import MlflowClient

from ml.config import TrainingConfig
from ml.data_state import DataState
from ml.frame import labels

if TYPE_CHECKING:  # ml.compare logs through this module
    from ml.compare import RunResult

# The experiment's kind as MLflow 3 records it ("Machine learning" in the UI's experiment list);
# the 3.17 UI still opens experiments in the GenAI view until a browser picks "Model training"
# (see key_metrics_url).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_DEVELOPMENT = "custom_model_development"
# A saved runs-table view, stored on the experiment, opened by ?viewStateShareKey=<key> (the
# UI's "share view"); the default view shows no metric column at all.
KEY_METRICS_VIEW = "key-metrics"
SHARED_VIEW_TAG = "mlflow.sharedViewState."
KEY_METRICS = ("roc_auc", "pr_auc", "brier", "ece", "lift_top_decile", "lift_at_capacity")


def ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """Artifact location can only be chosen at creation; an existing experiment keeps its own,
    and gets the kind and the saved view (they are re-set on each training, so experiments
    made by older versions get them too)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        experiment_id = client.create_experiment(name, artifact_location=artifact_location)
    else:
        experiment_id = experiment.experiment_id
    client.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, MODEL_DEVELOPMENT)
    client.set_experiment_tag(experiment_id, SHARED_VIEW_TAG + KEY_METRICS_VIEW, json.dumps(key_metrics_view()))
    return experiment_id


def key_metrics_view() -> dict:
    """The runs table with the key validation metrics, in this order, and who is champion."""
    columns = [*(f"metrics.`{validation(m)}`" for m in KEY_METRICS), "tags.`champion`", "attributes.`Models`"]
    return {"selectedColumns": columns, "columnOrder": columns,
            "orderByKey": "attributes.start_time", "orderByAsc": False}


def key_metrics_url(ui_url: str, experiment_id: str) -> str:
    """The runs table in that view. workflowType: MLflow 3.17's UI opens every experiment in its
    GenAI view (whatever mlflow.experimentKind says) until the browser picks "Model training"."""
    return (f"{ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs"
            f"?workflowType=machine_learning&viewStateShareKey={KEY_METRICS_VIEW}")


def validation(metric: str) -> str:
    """The logged name of a validation metric."""
    return f"val/{metric}"


def grouped(group: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{group}/{name}": value for name, value in metrics.items()}


def parent_run_name(train: pd.DataFrame, valid: pd.DataFrame | None, rows: pd.DataFrame) -> str:
    """E.g. "train 2026-11-30 (data 2026-05-04..2026-10-26)": the latest date of the rows, and the
    labelled dates the models were fitted and validated on."""
    dates = pd.to_datetime(pd.concat([part["as_of_date"] for part in (train, valid) if part is not None]))
    today = pd.to_datetime(rows["as_of_date"]).max()
    if dates.empty:
        return f"train {today:%Y-%m-%d} (no labelled data)"
    return f"train {today:%Y-%m-%d} (data {dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d})"


def child_run_name(kind: str, name: str) -> str:
    """E.g. "candidate gradient_boosting", "baseline recency"; the registered winner gets a
    suffix once the gate has decided (see registry._mark_winner)."""
    return f"{kind} {name}"


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


def log_validation(metrics: dict[str, float], segments: dict[str, float]) -> None:
    """A model's overall metrics as `val/...`; its per-segment ones as one table artifact."""
    mlflow.log_metrics(grouped("val", metrics))
    if segments:
        mlflow.log_table(segment_table(segments), "segment_metrics.json")


def segment_table(segments: dict[str, float]) -> pd.DataFrame:
    """`{metric}__{column}__{group}` -> one row per segment, one column per metric."""
    rows = [dict(zip(("metric", "segment_by", "segment"), key.split("__", 2)), value=value)
            for key, value in segments.items()]
    table = pd.DataFrame(rows).pivot_table(index=["segment_by", "segment"], columns="metric", values="value")
    return table.reset_index().rename_axis(columns=None)


def baseline_bars(results: "list[RunResult]") -> dict[str, float]:
    """`baseline/{name}_roc_auc` of each validated baseline: the bar a candidate had to clear."""
    return {f"baseline/{r.name}_roc_auc": r.metrics["roc_auc"]
            for r in results if r.kind == "baseline" and "roc_auc" in r.metrics}


def log_summary(
    best: "RunResult", results: "list[RunResult]", skipped: dict[str, str], state: DataState
) -> None:
    """The parent holds the winner's metrics as `val/...` (the columns of the collapsed runs
    table), the baselines' bars, and every run's metrics as comparison.json; each child run has
    its own `val/...`, so expanding the parent compares them column by column."""
    mlflow.log_metrics(grouped("val", best.metrics))
    bars = baseline_bars(results)
    mlflow.log_metrics(bars)
    # A registered version points at its model's run; give the candidates the bar they had to clear.
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
