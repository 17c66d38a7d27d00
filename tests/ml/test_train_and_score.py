"""Behaviour of ml/: time split, training + MLflow tracking, the champion gate, and scoring."""


import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from ml.metrics import classification_metrics
from ml.registry import train_and_register
from ml.score import score
from ml.split import time_split

SIGNAL_FEATURES = ["days_since_last_activity", "avg_page_load_ms", "orders_30d"]
FEATURES = [*SIGNAL_FEATURES, "noise_0"]


def make_rows(n_users: int = 3000, n_dates: int = 8, seed: int = 0, n_noise: int = 1):
    """Weekly observation dates; churn rises with recency and slow pages, falls with orders.

    The last date is immature (its label window is still open), so churned is null there.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-06", periods=n_dates, freq="7D")
    n = n_users * n_dates
    engagement = np.tile(rng.gamma(2.0, 1.0, n_users), n_dates)
    recency = rng.exponential(10 / engagement)
    page_load = np.tile(rng.normal(1500, 500, n_users), n_dates) + rng.normal(0, 200, n)
    page_load[rng.random(n) < 0.15] = np.nan  # users without page views: feature is null
    orders = rng.poisson(engagement).astype(float)
    logit = -2.0 + 0.08 * recency + 0.0015 * (np.nan_to_num(page_load, nan=1500) - 1500)
    churned = rng.random(n) < 1 / (1 + np.exp(-(logit - 0.4 * orders)))
    as_of = np.repeat(dates.to_numpy(), n_users)
    mature = as_of < dates[-1].to_datetime64()
    rows = pd.DataFrame(
        {
            "user_id": np.tile([f"u{i:06d}" for i in range(n_users)], n_dates),
            "as_of_date": as_of,
            "churned": pd.array(np.where(mature, churned.astype(int), 0), dtype="Int64"),
            "label_mature": mature,
            "days_since_last_activity": recency,
            "avg_page_load_ms": page_load,
            "orders_30d": orders,
        }
    )
    rows.loc[~mature, "churned"] = pd.NA
    for i in range(n_noise):
        rows[f"noise_{i}"] = rng.normal(size=n)
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One sqlite store per module (creating its tables takes seconds); tests use own models."""
    root = tmp_path_factory.mktemp("mlflow")
    return {
        "tracking_uri": f"sqlite:///{root}/mlflow.db",
        "artifact_location": str(root / "mlartifacts"),
    }


@pytest.fixture(scope="module")
def rows():
    return make_rows()


@pytest.fixture(scope="module")
def first_training(store, rows):
    return train_and_register(
        rows, FEATURES, model_name="first", params={"horizon_days": 30}, **store
    )


@pytest.mark.parametrize("as_dates", [False, True], ids=["datetime64", "date_objects"])
def test_time_split_validates_on_the_latest_dates_and_drops_immature_rows(rows, as_dates):
    if as_dates:
        rows = rows.assign(as_of_date=pd.to_datetime(rows["as_of_date"]).dt.date)
    train, valid = time_split(rows, valid_fraction=0.25)
    train_dates = pd.to_datetime(train["as_of_date"])
    valid_dates = pd.to_datetime(valid["as_of_date"])
    assert train_dates.max() < valid_dates.min()
    # 7 matured dates: round(7 * 0.25) = 2 whole dates in validation, the immature one in neither.
    assert (train_dates.nunique(), valid_dates.nunique()) == (5, 2)
    assert len(train) + len(valid) == int(rows["label_mature"].sum())
    assert train["churned"].notna().all() and valid["churned"].notna().all()


def test_time_split_needs_two_matured_dates():
    rows = make_rows(n_users=50, n_dates=2)  # one matured date, one immature
    with pytest.raises(ValueError, match="at least 2 distinct observation dates"):
        time_split(rows)


def test_time_split_rejects_a_part_with_a_single_class(rows):
    latest = rows["as_of_date"] >= rows["as_of_date"].max() - pd.Timedelta(days=14)
    rows = rows.assign(churned=rows["churned"].mask(latest & rows["label_mature"], 0))
    with pytest.raises(ValueError, match="validation part .* single class"):
        time_split(rows)


def test_classification_metrics_reward_ranking_and_calibration():
    y = np.array([0, 0, 1, 1])
    good = classification_metrics(y, [0.1, 0.2, 0.8, 0.9])
    bad = classification_metrics(y, [0.9, 0.8, 0.2, 0.1])
    assert good["roc_auc"] == 1.0 and good["pr_auc"] == 1.0
    assert good["brier"] < bad["brier"] and good["log_loss"] < bad["log_loss"]


def test_first_training_logs_a_run_and_crowns_a_champion(store, first_training):
    outcome = first_training
    client = MlflowClient(tracking_uri=store["tracking_uri"])
    run = client.get_run(outcome.run_id)
    for metric in ["roc_auc", "pr_auc", "brier", "log_loss", "baseline_recency_roc_auc"]:
        assert run.data.metrics[metric] == pytest.approx(outcome.metrics[metric])
    assert outcome.metrics["roc_auc"] > 0.75
    assert outcome.metrics["roc_auc"] > outcome.metrics["baseline_recency_roc_auc"]
    assert run.data.params["horizon_days"] == "30"
    assert run.data.params["valid_start_date"] > run.data.params["train_end_date"]
    assert run.data.tags["champion_decision"] == "promoted"
    assert (outcome.promoted, outcome.champion_metrics) == (True, None)
    champion = client.get_model_version_by_alias("first", "champion")
    # The sqlite store returns version as an int; ml/ always hands versions out as str.
    assert str(champion.version) == outcome.model_version == "1"
    assert champion.tags["champion_decision"] == "promoted"


def test_gate_keeps_a_better_champion_and_promotes_a_better_candidate(store, rows):
    def train(features):
        return train_and_register(rows, features, model_name="gated", **store)

    noise_only = train(["noise_0"])
    assert noise_only.promoted and noise_only.metrics["roc_auc"] < 0.6

    better = train(FEATURES)
    assert better.promoted and "> champion v1" in better.reason
    # The champion was re-scored on the candidate's validation rows, not read from its old run.
    assert better.champion_metrics["roc_auc"] < 0.6

    worse = train(["noise_0"])
    assert not worse.promoted and "<= champion v2" in worse.reason
    client = MlflowClient(tracking_uri=store["tracking_uri"])
    champion = client.get_model_version_by_alias("gated", "champion")
    assert str(champion.version) == better.model_version
    assert client.get_model_version("gated", worse.model_version).tags["champion_decision"] == (
        "rejected"
    )
    assert client.get_run(worse.run_id).data.metrics["champion_roc_auc"] > 0.75


def test_a_champion_that_cannot_be_scored_is_replaced_with_a_reason(store):
    rows = make_rows(n_users=800, n_noise=2)
    train_and_register(rows, ["noise_1", *SIGNAL_FEATURES], model_name="retired", **store)
    outcome = train_and_register(
        rows.drop(columns="noise_1"), SIGNAL_FEATURES, model_name="retired", **store
    )
    assert outcome.promoted and outcome.champion_metrics is None
    assert "cannot be scored" in outcome.reason and "noise_1" in outcome.reason


def test_score_gives_every_user_a_probability_from_the_champion(store, rows, first_training):
    latest = rows[rows["as_of_date"] == rows["as_of_date"].max()]  # immature rows are scored
    scored = score(latest, tracking_uri=store["tracking_uri"], model_name="first")
    assert list(scored.columns) == ["user_id", "as_of_date", "churn_probability", "model_version"]
    assert scored["user_id"].tolist() == latest["user_id"].tolist()
    assert scored["churn_probability"].between(0, 1).all()
    assert (scored["model_version"] == first_training.model_version).all()


def test_score_names_the_missing_feature(store, rows, first_training):
    features = rows.drop(columns="orders_30d")
    with pytest.raises(ValueError, match="orders_30d"):
        score(features, tracking_uri=store["tracking_uri"], model_name="first")


def test_score_without_a_champion_fails_clearly(store, rows):
    with pytest.raises(LookupError, match="No version of model 'nobody' has the alias 'champion'"):
        score(rows.head(), tracking_uri=store["tracking_uri"], model_name="nobody")


def test_training_on_too_few_dates_fails_before_logging_a_run(store):
    with pytest.raises(ValueError, match="at least 2 distinct observation dates"):
        train_and_register(make_rows(n_users=100, n_dates=2), FEATURES, model_name="few", **store)
    assert MlflowClient(tracking_uri=store["tracking_uri"]).search_registered_models(
        "name = 'few'"
    ) == []
