"""Training when due: a champion trained this week serves until it is a week old, unless the
features or the churn definition changed, drift was flagged, or training is requested."""

import datetime as dt
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

sys.path.insert(0, str(Path(__file__).parents[1] / "ml"))
from synthetic_rows import FEATURES, make_rows  # noqa: E402

from ml.config import TrainingConfig  # noqa: E402
from ml.registry import train_and_register  # noqa: E402
from pipeline.model.retraining import tag_training, training_due  # noqa: E402

TRAINED_ON = dt.date(2025, 3, 3)


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    store = {"tracking_uri": f"sqlite:///{root}/mlflow.db", "artifact_location": str(root / "mlartifacts")}
    outcome = train_and_register(make_rows(n_users=300, n_dates=6), FEATURES, model_name="weekly",
                                 model_params={"max_iter": 30}, config=TrainingConfig(diagnostics=False), **store)
    client = MlflowClient(tracking_uri=store["tracking_uri"], registry_uri=store["tracking_uri"])
    return client, outcome


def due(client, **changes):
    args = {"every_days": 7, "requested": False, "today": TRAINED_ON, "features": FEATURES,
            "definition": "no_order", "horizon": 30, "drift_alert": None, **changes}
    return training_due(client, "weekly", **args)


def test_without_a_champion_training_is_due(champion):
    client, _ = champion
    decision = training_due(client, "no_such_model", every_days=7, requested=False, today=TRAINED_ON,
                            features=FEATURES, definition="no_order", horizon=30, drift_alert=None)
    assert decision.due and decision.reason == "no champion yet"


def test_a_champion_without_its_training_tags_is_retrained_once_tagged_it_serves_for_a_week(champion):
    client, outcome = champion
    assert outcome.promoted
    assert due(client).due  # trained before tags existed: no way to know its age
    tag_training(client, "weekly", outcome.model_version, today=TRAINED_ON, definition="no_order", horizon=30)
    for days, expected in [(0, False), (6, False), (7, True), (30, True)]:
        decision = due(client, today=TRAINED_ON + dt.timedelta(days=days))
        assert decision.due is expected, (days, decision.reason)
        assert decision.champion_version == outcome.model_version
    assert "next training in 4 days" in due(client, today=TRAINED_ON + dt.timedelta(days=3)).reason


@pytest.mark.parametrize("change, words", [
    ({"requested": True}, "requested"),
    ({"every_days": 0}, "every run trains"),
    ({"features": FEATURES[:-1]}, "features changed"),
    ({"features": [*FEATURES, "post__events_30d"]}, "post__events_30d"),
    ({"definition": "no_activity"}, "churn definition changed"),
    ({"horizon": 45}, "churn definition changed"),
    ({"drift_alert": "the latest score_and_feature_drift check failed"}, "drift"),
])
def test_a_young_champion_is_retrained_when_something_changed(champion, change, words):
    client, outcome = champion
    tag_training(client, "weekly", outcome.model_version, today=TRAINED_ON, definition="no_order", horizon=30)
    decision = due(client, **change)
    assert decision.due and words in decision.reason


def test_a_baseline_champion_is_compared_on_the_features_of_its_training_not_its_one_input(champion):
    """A recency champion reads one column; the training set's features did not change."""
    client, outcome = champion
    tag_training(client, "weekly", outcome.model_version, today=TRAINED_ON, definition="no_order", horizon=30,
                 features=[*FEATURES, "unused_by_the_model"])
    try:
        assert not due(client, features=[*FEATURES, "unused_by_the_model"]).due
        assert "unused_by_the_model" in due(client).reason
    finally:  # the other tests share this champion
        client.delete_model_version_tag("weekly", outcome.model_version, "features")
