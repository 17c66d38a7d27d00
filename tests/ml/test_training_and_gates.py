"""train_and_register: candidates and baselines as child runs of one parent, the champion gates,
rollback, and scoring with the champion."""

import pytest
from mlflow import MlflowClient
from synthetic_rows import FEATURES, PURCHASE_FEATURES, SIGNAL_FEATURES, make_rows

from ml.config import TrainingConfig
from ml.explain import top_reasons
from ml.registry import set_champion, train_and_register
from ml.score import load_version, score

FAST = {"max_iter": 60}  # the trees' settings only change speed here, not what is tested
ALL_FEATURES = [*FEATURES, *PURCHASE_FEATURES]
CONTEXT = {"churn_horizon_days": 30, "churn_definition": "no_order"}


@pytest.fixture(scope="module")
def rows():
    return make_rows(purchases=True, segments=True)


@pytest.fixture(scope="module")
def history(store, rows):
    """Four trainings of one model: floored out, a weak first champion, better, worse.

    Only "better" trains on all rows with the plots; the others need fewer users to make their
    point, and the gate re-scores the champion on whichever rows the candidate validates on.
    """
    few = make_rows(n_users=800, seed=1, purchases=True, segments=True)

    def train(frame, features, **config):
        return train_and_register(
            frame, features, model_name="gated", params=CONTEXT, model_params=FAST,
            config=TrainingConfig(**{"diagnostics": False, **config}), **store,
        )

    return {
        "floored": train(few, ALL_FEATURES, auc_floor=0.99),
        "weak": train(few, ["noise_0"], auc_floor=0.0),
        "better": train(rows, ALL_FEATURES, diagnostics=True),
        "worse": train(few, ["noise_0"], auc_floor=0.0),
    }


@pytest.fixture(scope="module")
def client(store):
    return MlflowClient(tracking_uri=store["tracking_uri"], registry_uri=store["tracking_uri"])


def test_candidates_and_baselines_are_child_runs_of_one_parent(client, history):
    outcome = history["better"]
    parent = client.get_run(outcome.run_id)
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{outcome.run_id}'"
    )
    names = {child.info.run_name: child for child in children}
    assert set(names) == {"logistic_regression", "gradient_boosting", "recency", "bgnbd"}
    assert set(outcome.comparison) == set(names) and outcome.skipped == {}
    assert {names[n].data.tags["kind"] for n in ["recency", "bgnbd"]} == {"baseline"}
    for child in children:
        logged = outcome.comparison[child.info.run_name]["roc_auc"]
        assert child.data.metrics["roc_auc"] == pytest.approx(logged)
        assert {"ece", "lift_at_capacity", "recall_top_decile"} <= set(child.data.metrics)
    assert outcome.comparison[outcome.candidate]["roc_auc"] > 0.75
    assert outcome.metrics["roc_auc"] > outcome.comparison["recency"]["roc_auc"]


def test_parent_run_records_the_data_and_the_context(client, history):
    params = client.get_run(history["better"].run_id).data.params
    assert params["churn_horizon_days"] == "30" and params["churn_definition"] == "no_order"
    assert params["valid_start_date"] > params["train_end_date"]
    assert params["features"].split(",") == ALL_FEATURES
    assert int(params["train_rows"]) > int(params["valid_rows"]) > 0
    assert 0 < float(params["train_label_rate"]) < 1 and params["gate.auc_floor"] == "0.6"


def test_the_registered_version_is_the_best_candidate_with_plots(client, history):
    outcome = history["better"]
    version = client.get_model_version("gated", outcome.model_version)
    assert version.run_id == outcome.child_run_ids[outcome.candidate]
    candidate_run = client.get_run(version.run_id)
    assert "baseline_recency_roc_auc" in candidate_run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(version.run_id)}
    assert {"feature_importance.png", "feature_importance.json"} <= artifacts
    plots = ["roc_curve", "precision_recall_curve", "calibration_curve", "lift_curve"]
    assert {f"evaluate_{plot}_plot.png" for plot in plots} <= artifacts  # mlflow.models.evaluate
    assert next(iter(outcome.feature_importance)) in SIGNAL_FEATURES


def test_per_segment_metrics_appear_for_groups_big_enough(client, history):
    outcome = history["better"]
    assert "roc_auc__value_tier__vip" in outcome.segment_metrics
    assert "ece__lifecycle_stage__declining" in outcome.segment_metrics
    assert not any("reactivated" in name for name in outcome.segment_metrics)
    child = client.get_run(outcome.child_run_ids["recency"]).data.metrics
    assert "roc_auc__value_tier__vip" in child


def test_the_auc_floor_blocks_promotion_and_names_the_gate(client, history):
    floored = history["floored"]
    assert not floored.promoted and floored.failed_gates == ("auc_floor",)
    assert "auc_floor" in floored.reason and floored.gates["auc_floor"] == 0.99
    version = client.get_model_version("gated", floored.model_version)
    assert version.tags["champion_decision"] == "rejected"
    assert version.tags["failed_gates"] == "auc_floor"


def test_gate_keeps_a_better_champion_and_promotes_a_better_candidate(client, history):
    weak, better, worse = history["weak"], history["better"], history["worse"]
    assert weak.promoted and weak.reason == "no champion yet" and weak.metrics["roc_auc"] < 0.6
    assert better.promoted and f"> champion v{weak.model_version}" in better.reason
    # The champion was re-scored on the candidate's validation rows, not read from its old run.
    assert better.champion_metrics["roc_auc"] < 0.6 and "ece" in better.champion_metrics
    assert not worse.promoted and worse.failed_gates == ("beats_champion",)
    assert f"<= champion v{better.model_version}" in worse.reason
    assert client.get_run(worse.run_id).data.metrics["champion_roc_auc"] > 0.75
    assert client.get_model_version_by_alias("gated", "champion").version == int(
        better.model_version
    )


def test_set_champion_rolls_back_to_an_older_version(store, client, history):
    better, weak = history["better"], history["weak"]
    previous = set_champion(store["tracking_uri"], "gated", weak.model_version)
    try:
        assert previous == better.model_version
        champion = client.get_model_version_by_alias("gated", "champion")
        assert str(champion.version) == weak.model_version
        assert "set by hand" in champion.tags["champion_reason"]
    finally:
        set_champion(store["tracking_uri"], "gated", better.model_version)


def test_score_gives_every_user_a_probability_from_the_champion(store, rows, history):
    latest = rows[rows["as_of_date"] == rows["as_of_date"].max()]  # immature rows are scored
    scored = score(latest, tracking_uri=store["tracking_uri"], model_name="gated")
    assert list(scored.columns) == ["user_id", "as_of_date", "churn_probability", "model_version"]
    assert scored["user_id"].tolist() == latest["user_id"].tolist()
    assert scored["churn_probability"].between(0, 1).all()
    assert (scored["model_version"] == history["better"].model_version).all()
    champion = load_version("gated", history["better"].model_version)  # a pyfunc model
    reasons = top_reasons(champion, latest.head(200), ALL_FEATURES)
    assert len(reasons) == 200 and reasons["reason_1"].notna().any()


def test_score_names_the_missing_feature(store, rows, history):
    with pytest.raises(ValueError, match="orders_30d"):
        score(rows.drop(columns="orders_30d"), tracking_uri=store["tracking_uri"],
              model_name="gated")


def test_score_without_a_champion_fails_clearly(store, rows):
    with pytest.raises(LookupError, match="No version of model 'nobody' has the alias 'champion'"):
        score(rows.head(), tracking_uri=store["tracking_uri"], model_name="nobody")


def test_a_champion_that_cannot_be_scored_is_replaced_with_a_reason(store):
    rows = make_rows(n_users=800, n_noise=2)

    def train(frame, features):
        return train_and_register(frame, features, model_name="retired", model_params=FAST,
                                  config=TrainingConfig(diagnostics=False), **store)

    train(rows, ["noise_1", *SIGNAL_FEATURES])
    outcome = train(rows.drop(columns="noise_1"), SIGNAL_FEATURES)
    assert outcome.promoted and outcome.champion_metrics is None
    assert "cannot be scored" in outcome.reason and "noise_1" in outcome.reason
    assert "no purchase-history columns" in outcome.skipped["bgnbd"]
    assert "bgnbd" not in outcome.comparison


def test_training_on_too_few_dates_fails_before_logging_a_run(store, client):
    with pytest.raises(ValueError, match="at least 2 distinct observation dates"):
        train_and_register(make_rows(n_users=100, n_dates=2), FEATURES, model_name="few", **store)
    assert client.search_registered_models("name = 'few'") == []
