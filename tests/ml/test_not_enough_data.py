"""A tiny, one-class, unlabelled or odd log never crashes training: it says not_enough_data
(or copes), and leaves a registered champion that scores."""

import numpy as np
import pytest
from mlflow import MlflowClient
from synthetic_rows import FEATURES, make_rows

from ml.config import TrainingConfig
from ml.registry import train_and_register
from ml.score import score

FAST = {"max_iter": 30}


@pytest.fixture(scope="module")
def train(store):
    def train(rows, model_name, features=FEATURES):
        return train_and_register(rows, features, model_name=model_name, model_params=FAST,
                                  config=TrainingConfig(diagnostics=False), **store)

    return train


@pytest.fixture(scope="module")
def client(store):
    return MlflowClient(tracking_uri=store["tracking_uri"], registry_uri=store["tracking_uri"])


def latest(rows):
    return rows[rows["as_of_date"] == rows["as_of_date"].max()]


def scores(store, rows, model_name):
    return score(latest(rows), tracking_uri=store["tracking_uri"], model_name=model_name)


def test_a_tiny_log_registers_a_champion_and_says_why(store, client, train):
    rows = make_rows(n_users=8, n_dates=5)  # 40 rows, 32 of them labelled
    outcome = train(rows, "tiny")
    assert outcome.data_state == "not_enough_data" and outcome.promoted
    assert "labelled rows" in outcome.data_message and outcome.metrics == {}
    tags = client.get_run(outcome.run_id).data.tags
    assert tags["data_state"] == "not_enough_data" and tags["data_message"] == outcome.data_message
    scored = scores(store, rows, "tiny")
    assert len(scored) == 8 and scored["churn_probability"].between(0, 1).all()
    assert (scored["model_version"] == outcome.model_version).all()


@pytest.mark.parametrize("labels", ["one_class", "none"])
def test_one_class_or_no_labels_give_a_base_rate_champion(store, train, labels):
    rows = make_rows(n_users=60, n_dates=4)
    labelled = rows["label_mature"].to_numpy()
    rows = rows.assign(churned=rows["churned"].mask(labelled, 0))
    if labels == "none":
        rows = rows.assign(label_mature=False)
    outcome = train(rows, f"base_rate_{labels}")
    n = int(labelled.sum()) if labels == "one_class" else 0
    assert outcome.data_state == "not_enough_data" and outcome.candidate == "base_rate"
    assert outcome.promoted and outcome.champion_kind == "baseline"
    # Laplace: no churner in n rows is 1 / (n + 2), no labels at all 1/2.
    probability = scores(store, rows, f"base_rate_{labels}")["churn_probability"]
    assert np.allclose(probability, 1 / (n + 2))


def test_too_few_churners_to_calibrate_still_validates_the_models(train):
    rows = make_rows(n_users=50, n_dates=8, seed=3)
    rare = np.random.default_rng(0).random(len(rows)) < 0.1
    rows = rows.assign(churned=rows["churned"].where(rare | rows["churned"].isna(), 0))
    outcome = train(rows, "rare")
    assert outcome.data_state == "not_enough_data" and "calibration" in outcome.data_message
    assert outcome.promoted and {"logistic_regression", "recency"} <= set(outcome.comparison)
    assert 0 < outcome.metrics["roc_auc"] <= 1


def test_null_constant_and_nearly_null_columns_do_not_crash(client, train):
    """A column with one value is null on every fitting row of some calibration fold, which
    made HistGradientBoosting crash ("window shape cannot be larger than input array shape")."""
    rows = make_rows(n_users=300, n_dates=4).assign(empty=np.nan, constant=1.0, one=np.nan)
    rows.loc[rows.index[0], "one"] = 3.0
    outcome = train(rows, "odd", [*FEATURES, "empty", "constant", "one"])
    assert outcome.data_state == "ok" and outcome.promoted
    assert {"logistic_regression", "gradient_boosting"} <= set(outcome.comparison)
    left_out = client.get_run(outcome.run_id).data.tags["candidate_features_left_out"]
    assert set(left_out.split(",")) == {"empty", "one"}


def test_a_champion_stays_when_new_rows_cannot_be_validated(store, client, train):
    first = train(make_rows(n_users=300, n_dates=4), "kept")
    tiny = train(make_rows(n_users=8, n_dates=5, seed=2), "kept")
    assert first.promoted and not tiny.promoted and tiny.data_state == "not_enough_data"
    assert tiny.failed_gates == ("beats_champion",) and "no validation rows" in tiny.reason
    assert tiny.champion_kind == first.kind
    champion = client.get_model_version_by_alias("kept", "champion")
    assert str(champion.version) == first.model_version
