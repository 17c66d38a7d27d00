"""When to train: on a schedule, when the champion no longer fits the data, after a drift
alert, or on request. On other days the champion scores as it is: training and its
comparison are most of a daily run's model time, and a model a day old is no worse.

What a champion was trained on is kept as tags of its model version (TRAINING_TAGS)."""

import datetime as dt
from dataclasses import dataclass

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

TRAINED_ON = "trained_on"  # the latest observation date of the training rows (the scoring date then)
DEFINITION = "churn_definition"
HORIZON = "churn_horizon_days"
FEATURES = "features"  # the training set's feature columns, comma-separated (a baseline champion uses fewer)


@dataclass(frozen=True)
class TrainingDecision:
    due: bool
    reason: str
    champion_version: str | None = None


def training_due(client: MlflowClient, model_name: str, *, every_days: int, requested: bool, today: dt.date,
                 features: list[str], definition: str, horizon: int, drift_alert: str | None) -> TrainingDecision:
    """Whether to train today, and why (or why not) in words for the run's metadata."""
    try:
        champion = client.get_model_version_by_alias(model_name, "champion")
    except MlflowException:
        return TrainingDecision(True, "no champion yet")
    version = str(champion.version)
    if requested:
        return TrainingDecision(True, "requested (force_retrain)", version)
    if every_days <= 0:
        return TrainingDecision(True, "retrain_every_days is 0: every run trains", version)
    tags = champion.tags
    if TRAINED_ON not in tags:
        return TrainingDecision(True, f"champion v{version} has no {TRAINED_ON} tag", version)
    if (tags.get(DEFINITION), tags.get(HORIZON)) != (definition, str(horizon)):
        return TrainingDecision(True, f"churn definition changed: champion v{version} predicts "
                                      f"{tags.get(DEFINITION)} in {tags.get(HORIZON)} days, today's labels "
                                      f"{definition} in {horizon}", version)
    # The columns the training saw, not the champion's inputs: a baseline champion (recency)
    # reads one column of a feature set that did not change.
    used = tags[FEATURES].split(",") if FEATURES in tags else _input_columns(model_name, version)
    if used is not None and set(used) != set(features):
        added, gone = sorted(set(features) - set(used)), sorted(set(used) - set(features))
        return TrainingDecision(True, f"features changed since champion v{version} (new: {added[:5]}, "
                                      f"gone: {gone[:5]})", version)
    if drift_alert:
        return TrainingDecision(True, f"drift: {drift_alert}", version)
    age = (today - dt.date.fromisoformat(tags[TRAINED_ON])).days
    if age >= every_days:
        return TrainingDecision(True, f"champion v{version} was trained {age} days ago (every {every_days})", version)
    return TrainingDecision(False, f"champion v{version} was trained {age} days ago; next training in "
                                   f"{every_days - age} days (retrain_every_days={every_days})", version)


def tag_training(client: MlflowClient, model_name: str, version: str, *, today: dt.date, definition: str,
                 horizon: int, features: list[str] | None = None) -> None:
    tags = {TRAINED_ON: str(today), DEFINITION: definition, HORIZON: str(horizon)}
    if features is not None:
        tags[FEATURES] = ",".join(sorted(features))
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)


def _input_columns(model_name: str, version: str) -> list[str] | None:
    """The champion's input columns from its signature (MLmodel file only, no model load)."""
    signature = mlflow.models.get_model_info(f"models:/{model_name}/{version}").signature
    return None if signature is None else signature.inputs.input_names()
