"""Why users leave, on the demo shop at test size against its ground truth: the criteria that
benchmarks/model_vs_truth.py prints for the full-size demo, measured the same way (its
cause_match), on the tests' 30-day label (the benchmark's is 60 days)."""

import datetime as dt
from types import SimpleNamespace

import duckdb
import pytest
from sklearn.metrics import roc_auc_score

from benchmarks.model_vs_truth import cause_match
from demo.generate import generate, write
from demo.truth import left_recently, load_truth, true_churn
from ml.causes import retained_references
from ml.score import churn_probability, input_columns, load_version, use_tracking_store
from ml.split import time_split
from pipeline.model.assets import cause_evidence, feature_catalog

END, DAYS, USERS, SEED = dt.date(2026, 5, 31), 100, 1500, 3
FIRST, LAST = f"{END - dt.timedelta(days=DAYS - 1)}", f"{END}"


@pytest.fixture(scope="module")
def shop(tmp_path_factory, pipeline_runner):
    data = tmp_path_factory.mktemp("shop")
    write(generate(USERS, DAYS, END, seed=SEED), data, bad_row_rate=0.0, seed=SEED)
    runner = pipeline_runner(data)
    assert runner.run(FIRST, LAST, diagnostics=False).success
    settings = runner.settings
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select * from churn_training_set").df()
        horizon = con.execute("select any_value(horizon_days) from churn_labels").fetchone()[0]
        words, evidence = feature_catalog(con), cause_evidence(con)  # as the pipeline reads them
        catalog = con.sql("select feature, family, evidence from feature_catalog").df()
        diagnosis = con.sql("""
            select cause_family, sum(excess_churners) as excess from churn_cause_diagnosis
            where labels_mature group by cause_family order by excess desc
        """).df()
    champion = use_tracking_store(settings.mlflow_tracking_uri).get_model_version_by_alias("churn_model", "champion")
    train, valid = time_split(rows)  # the benchmark's rows: the training's validation dates
    return SimpleNamespace(train=train, valid=valid, horizon=horizon, words=words, evidence=evidence,
                           catalog=catalog, diagnosis=diagnosis, model=load_version("churn_model", champion.version),
                           truth=load_truth(settings.root))


def test_recent_churners_are_told_their_true_driver(shop):
    """Full size (seed 42): 73 % main cause, 96 % within the top 3; here 75 % and 99 %. Price
    churners' abandoned checkouts are their evidence: before the demo logged them, price was
    named for a quarter of them, and 55 % and 83 % of all (this test's shop then)."""
    m = cause_match(shop.valid, left_recently(shop.valid, shop.truth), shop.truth, shop.model, shop.words,
                    shop.evidence, retained_references(shop.train, input_columns(shop.model)), shop.train)
    assert m["n"] >= 60, m["n"]
    assert m["top1"] >= 0.6 and m["top3"] >= 0.9, (m["top1"], m["top3"], m["by_family"])
    by_family = m["by_family"]
    assert by_family.loc["value_or_price", "top1"] >= 0.4, by_family


def test_the_champion_beats_recency_against_the_truth(shop):
    truth = true_churn(shop.valid, shop.truth, shop.horizon)
    p = churn_probability(shop.model, shop.valid)
    champion_auc = roc_auc_score(truth, p)
    recency_auc = roc_auc_score(truth, shop.valid["days_since_last_activity"])
    assert champion_auc > recency_auc + 0.01, (champion_auc, recency_auc)


def test_price_evidence_is_an_abandoned_checkout_not_a_cart_or_a_coupon(shop):
    """Most users leave carts and some buy with coupons: as evidence of price they made 75 % of
    this shop's active user-dates "affected" by price; abandoned checkouts make 41 %."""
    evidence = shop.catalog[shop.catalog["evidence"].notna()]
    price = set(evidence.loc[evidence["family"] == "value_or_price", "feature"])
    habits = {"abandoned_carts_30d", "coupon_order_share_90d"}
    assert "checkout_abandoned__events_90d" in price and not price & habits, price
    assert habits <= set(shop.catalog["feature"])  # still model features


def test_the_diagnosis_counts_churners_that_price_costs(shop):
    """Price is the shop's costliest driver at full size, and before the demo logged abandoned
    checkouts the diagnosis could not see it: its excess was -139 on seed 7 (true 1,500). The
    order itself is the benchmark's to check: at test size the true excess of each driver
    (demo/counterfactual.py) has standard errors of about 45 churners, as large as the gaps."""
    excess = shop.diagnosis.set_index("cause_family")["excess"]
    assert {"experience", "service", "logistics", "trust", "value_or_price"} <= set(excess.index), excess
    assert excess["value_or_price"] > 0, excess
