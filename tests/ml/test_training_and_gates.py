"""train_and_register: candidates and baselines as child runs of one parent, the best of them
registered (a baseline can win), the champion gates, rollback, and scoring with the champion."""

import json
import subprocess
import sys

import numpy as np
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
def few():
    return make_rows(n_users=800, seed=1, purchases=True, segments=True)


@pytest.fixture(scope="module")
def history(store, rows, few):
    """Three trainings of one model: a first champion, better, worse.

    "baseline" gives the candidates only noise while recency still carries the signal, so a
    baseline must win. Only "better" trains on all rows with the plots; the others need fewer
    users to make their point, and the gate re-scores the champion on whichever rows the new
    best model validates on.
    """

    def train(frame, features, **config):
        return train_and_register(
            frame, features, model_name="gated", params=CONTEXT, model_params=FAST,
            config=TrainingConfig(**{"diagnostics": False, **config}), **store,
        )

    return {
        "baseline": train(few, ["noise_0"], auc_floor=0.9),
        "better": train(rows, ALL_FEATURES, diagnostics=True),
        "worse": train(few, ["noise_0"]),
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
    names = {child.data.tags["model"]: child for child in children}
    assert set(names) == {"logistic_regression", "gradient_boosting", "recency", "bgnbd"}
    assert set(outcome.comparison) == set(names)
    assert outcome.skipped == {"activity_trend": "the rows have no activity_trend column"}
    assert {names[n].data.tags["kind"] for n in ["recency", "bgnbd"]} == {"baseline"}
    assert names["recency"].info.run_name == "baseline recency"
    winner = f"candidate {outcome.candidate} (champion v{outcome.model_version})"
    assert names[outcome.candidate].info.run_name == winner
    for child in children:
        logged = outcome.comparison[child.data.tags["model"]]["roc_auc"]
        assert child.data.metrics["val/roc_auc"] == pytest.approx(logged)
        assert {"val/ece", "val/lift_at_capacity", "val/recall_top_decile"} <= set(child.data.metrics)
        # Grouped names only: no flat per-segment scalars.
        assert all("/" in name for name in child.data.metrics), sorted(child.data.metrics)
    assert outcome.kind == "candidate" and outcome.comparison[outcome.candidate]["roc_auc"] > 0.75
    assert outcome.metrics["roc_auc"] > outcome.comparison["recency"]["roc_auc"]
    assert "best baseline: recency" in outcome.reason


def test_parent_run_records_the_data_and_the_context(client, rows, history):
    parent = client.get_run(history["better"].run_id)
    params = parent.data.params
    today = f"{rows['as_of_date'].max():%Y-%m-%d}"  # the latest rows are immature: not validated on
    assert parent.info.run_name == (f"train {today} "
                                    f"(data {params['train_start_date']}..{params['valid_end_date']})")
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    view = json.loads(experiment.tags["mlflow.sharedViewState.key-metrics"])
    assert {f"metrics.`val/{m}`" for m in ["roc_auc", "pr_auc", "brier"]} <= set(view["selectedColumns"])
    assert {f"val/{m}" for m in ["roc_auc", "pr_auc", "brier", "lift_top_decile"]} <= set(parent.data.metrics)
    assert params["churn_horizon_days"] == "30" and params["churn_definition"] == "no_order"
    assert params["valid_start_date"] > params["train_end_date"]
    assert params["features"].split(",") == ALL_FEATURES
    assert int(params["train_rows"]) > int(params["valid_rows"]) > 0
    assert 0 < float(params["train_label_rate"]) < 1 and params["gate.auc_floor"] == "0.6"
    tags = client.get_run(history["better"].run_id).data.tags
    assert tags["data_state"] == "ok" and history["better"].data_state == "ok"
    assert tags["best_kind"] == tags["champion_kind"] == "candidate"


def test_the_registered_version_is_the_best_candidate_with_plots(client, history):
    outcome = history["better"]
    version = client.get_model_version("gated", outcome.model_version)
    assert version.run_id == outcome.child_run_ids[outcome.candidate]
    assert version.tags["model_kind"] == "candidate"
    candidate_run = client.get_run(version.run_id)
    assert "baseline/recency_roc_auc" in candidate_run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(version.run_id)}
    assert {"feature_importance.png", "feature_importance.json", "segment_metrics.json",
            "validation_curves.png"} <= artifacts
    assert next(iter(outcome.feature_importance)) in SIGNAL_FEATURES


def test_the_registry_describes_the_model_and_each_version(client, history):
    outcome = history["better"]
    model = client.get_registered_model("gated")
    assert "no_order" in model.description and "30 days" in model.description
    assert "@champion" in model.description
    described = client.get_model_version("gated", outcome.model_version).description
    assert outcome.candidate in described and "promoted to @champion" in described
    assert all(f"| `{feature}` |" in described for feature in ALL_FEATURES)


def test_per_segment_metrics_appear_for_groups_big_enough(client, history):
    outcome = history["better"]
    assert "roc_auc__value_tier__vip" in outcome.segment_metrics
    assert "ece__lifecycle_stage__declining" in outcome.segment_metrics
    assert not any("reactivated" in name for name in outcome.segment_metrics)
    run_id = outcome.child_run_ids["recency"]
    table = client.load_table(client.get_run(run_id).info.experiment_id, "segment_metrics.json", run_ids=[run_id])
    vip = table[(table["segment_by"] == "value_tier") & (table["segment"] == "vip")]
    assert len(vip) == 1 and 0 < vip["roc_auc"].iloc[0] < 1
    assert "reactivated" not in set(table["segment"])


def test_a_baseline_that_beats_the_candidates_becomes_the_champion(client, history):
    first = history["baseline"]
    names = ["logistic_regression", "gradient_boosting"]
    candidates = [first.comparison[name]["roc_auc"] for name in names]
    assert first.candidate == "recency" and first.kind == first.champion_kind == "baseline"
    assert first.metrics["roc_auc"] > max(candidates) + 0.1
    version = client.get_model_version("gated", first.model_version)
    assert version.run_id == first.child_run_ids["recency"]
    assert version.tags["model_kind"] == "baseline"
    # Weak by auc_floor, but the best honest model there is: promoted, with a warning.
    assert first.promoted and first.failed_gates == () and "no champion yet" in first.reason
    assert "auc_floor 0.9" in first.warnings[0]
    tags = client.get_run(first.run_id).data.tags
    assert tags["champion_kind"] == "baseline" and tags["best_model"] == "recency"
    assert first.feature_importance.keys() == {"days_since_last_activity"}


def test_a_registered_baseline_scores_in_a_fresh_process(store, few, history, tmp_path):
    """MLflow pickles the baseline by reference to ml.rules: a new process, outside the repo,
    must load it from the installed package."""
    frame = few[["days_since_last_activity"]].head(50).astype("float64")
    script = (
        "import sys, json, mlflow, pandas as pd\n"
        f"mlflow.set_tracking_uri({store['tracking_uri']!r})\n"
        f"mlflow.set_registry_uri({store['tracking_uri']!r})\n"
        f"model = mlflow.pyfunc.load_model('models:/gated/{history['baseline'].model_version}')\n"
        "frame = pd.read_json(sys.stdin, orient='split')\n"
        "print(json.dumps(model.predict(frame).tolist()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=frame.to_json(orient="split"),
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    output = np.array(json.loads(done.stdout.splitlines()[-1]))
    expected = load_version("gated", history["baseline"].model_version).predict(frame)
    assert output.shape == (50, 2) and np.allclose(output.sum(axis=1), 1.0)
    assert np.allclose(output, expected) and output[:, 1].std() > 0


def test_gate_keeps_a_better_champion_and_promotes_a_better_model(client, history):
    first, better, worse = history["baseline"], history["better"], history["worse"]
    assert better.promoted and f"> champion v{first.model_version}" in better.reason
    # The champion was re-scored on the new model's validation rows, not read from its old run.
    assert better.champion_metrics["roc_auc"] < better.metrics["roc_auc"]
    assert "ece" in better.champion_metrics
    assert not worse.promoted and worse.failed_gates == ("beats_champion",)
    assert f"<= champion v{better.model_version}" in worse.reason
    assert worse.champion_kind == "candidate" and worse.kind == "baseline"
    assert client.get_run(worse.run_id).data.metrics["champion/roc_auc"] > 0.75
    # The runs say which version holds the alias now, and which held it before.
    assert client.get_run(better.child_run_ids[better.candidate]).data.tags["champion"] == "current"
    replaced = client.get_run(first.child_run_ids[first.candidate]).data.tags["champion"]
    assert replaced == f"replaced by v{better.model_version}"
    assert client.get_run(worse.child_run_ids[worse.candidate]).info.run_name.endswith("not promoted)")
    assert client.get_model_version_by_alias("gated", "champion").version == int(
        better.model_version
    )


def test_set_champion_rolls_back_to_an_older_version(store, client, history):
    better, first = history["better"], history["baseline"]
    previous = set_champion(store["tracking_uri"], "gated", first.model_version)
    try:
        assert previous == better.model_version
        champion = client.get_model_version_by_alias("gated", "champion")
        assert str(champion.version) == first.model_version
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
