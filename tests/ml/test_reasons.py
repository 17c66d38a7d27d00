"""top_reasons names the feature that drove a user's risk, in plain words."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.explain import feature_contributions, top_reasons
from ml.reasons import FAMILIES, describe

# As feature_catalog gives them (the training set's YAML meta).
WORDS = {
    "page_load_very_slow_share_30d": ("page loads over 3 s", "experience"),
    "avg_response_seconds_90d": ("slow customer-service replies", "service"),
    "days_since_last_activity": ("no recent visit", "falling_engagement"),
}

FEATURES = [
    "page_load_very_slow_share_30d",
    "avg_response_seconds_90d",
    "days_since_last_activity",
    "brand_new_signal",
    "noise",
]


@pytest.fixture(scope="module")
def users():
    """Slow pages drive churn for a third of users; slow service replies for another few."""
    rng = np.random.default_rng(0)
    n = 6000
    slow = np.where(rng.random(n) < 0.3, rng.uniform(0.5, 1.0, n), 0.0)
    service = np.where(rng.random(n) < 0.1, rng.uniform(600, 1200, n), rng.uniform(30, 90, n))
    service[rng.random(n) < 0.3] = np.nan  # never contacted support
    recency = rng.exponential(5, n)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "page_load_very_slow_share_30d": slow,
            "avg_response_seconds_90d": service,
            "days_since_last_activity": recency,
            "brand_new_signal": rng.normal(size=n),
            "noise": rng.normal(size=n),
        }
    )
    logit = -3 + 5 * slow + 0.004 * np.nan_to_num(service, nan=60) + 1.5 * frame["brand_new_signal"]
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    model.fit(frame[FEATURES], churned)
    return frame, model


def test_slow_pages_are_the_first_reason_where_they_drove_the_risk(users):
    frame, model = users
    reasons = top_reasons(model, frame, FEATURES, k=3, words=WORDS)
    assert list(reasons.columns[:7]) == [
        "user_id", "reason_1", "family_1", "impact_1", "reason_2", "family_2", "impact_2"
    ]
    driven = (frame["page_load_very_slow_share_30d"] > 0.7) & (frame["brand_new_signal"] < 0)
    driven &= frame["avg_response_seconds_90d"].fillna(0) < 100
    first = reasons.loc[driven, "reason_1"]
    assert (first == "page loads over 3 s").mean() > 0.95
    assert (reasons.loc[driven, "family_1"] == "experience").mean() > 0.95


def test_reasons_only_raise_risk_and_never_come_from_a_missing_value(users):
    frame, model = users
    reasons = top_reasons(model, frame, FEATURES, k=3, words=WORDS)
    words = reasons[["reason_1", "reason_2", "reason_3"]]
    fast_pages = frame["page_load_very_slow_share_30d"] == 0
    assert not (words[fast_pages] == "page loads over 3 s").any().any()
    no_contact = frame["avg_response_seconds_90d"].isna()
    assert not (words[no_contact] == "slow customer-service replies").any().any()
    assert (reasons[["impact_1", "impact_2", "impact_3"]].stack().dropna() >= 0.01).all()


def test_unknown_features_keep_their_name_in_family_other(users):
    frame, model = users
    reasons = top_reasons(model, frame, FEATURES, k=3, words=WORDS)
    new_signal = reasons["reason_1"] == "brand_new_signal"
    assert new_signal.any() and (reasons.loc[new_signal, "family_1"] == "other").all()
    assert describe("brand_new_signal") == ("brand_new_signal", "other")


def test_words_come_from_the_catalog_given():
    assert describe("avg_response_seconds_90d", WORDS) == ("slow customer-service replies", "service")
    assert describe("avg_response_seconds_90d") == ("avg_response_seconds_90d", "other")
    assert {family for _, family in WORDS.values()} <= set(FAMILIES)


def test_contributions_predicting_only_the_moved_rows_equal_occluding_every_row(users):
    """feature_contributions predicts again only the rows whose value is not the reference:
    exactly what occluding every row gives (0 at the reference and where the value is null)."""
    frame, model = users
    x = frame[FEATURES]
    reference = x.median().to_dict()
    got = feature_contributions(model, x, reference)
    base = model.predict_proba(x)[:, 1]
    for feature in FEATURES:
        every_row = base - model.predict_proba(x.assign(**{feature: reference[feature]}))[:, 1]
        expected = np.where(x[feature].isna(), 0.0, every_row)
        np.testing.assert_allclose(got[feature].to_numpy(), expected, rtol=0, atol=1e-12)
    assert (got["page_load_very_slow_share_30d"][x["page_load_very_slow_share_30d"] == reference["page_load_very_slow_share_30d"]] == 0).all()
