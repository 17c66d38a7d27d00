"""Causes and symptom per user: a cause is named only with the user's own evidence, ranked
against comparable retained users, and worded with the user's own counts."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.causes import RARITY_FLOOR, Evidence, engagement_level, evidence_rarity, explain_causes, render, retained_references
from pipeline.model.scoring import reasons_in_order

WORDS = {
    "late_deliveries_90d": ("late deliveries", "logistics"),
    "slow_responses_90d": ("slow customer-service replies", "service"),
    "active_days_30d": ("fewer active days", "falling_engagement"),
    "days_since_last_activity": ("no recent visit", "falling_engagement"),
}
FEATURES = list(WORDS)
EVIDENCE = [
    Evidence("late_deliveries_90d", "logistics", "late deliveries",
             "{late_deliveries_90d} late [delivery|deliveries] in the last 90 days"),
    Evidence("slow_responses_90d", "service", "slow customer-service replies",
             "{slow_responses_90d} replies slower than 3 minutes in the last 90 days"),
]


@pytest.fixture(scope="module")
def users():
    """Late deliveries and slow replies drive churn; light users churn more whatever happens."""
    rng = np.random.default_rng(1)
    n = 8000
    active = rng.integers(0, 25, n)
    late = np.where(rng.random(n) < 0.25, rng.integers(1, 4, n), 0)
    slow = np.where(rng.random(n) < 0.25, rng.integers(1, 4, n), 0)
    frame = pd.DataFrame({
        "user_id": [f"u{i}" for i in range(n)],
        "late_deliveries_90d": late, "slow_responses_90d": slow, "active_days_30d": active,
        "days_since_last_activity": rng.exponential(5, n) + (25 - active) / 2,
    })
    logit = -1.0 + 1.2 * late + 1.2 * slow - 0.15 * active
    frame["churned"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame["label_mature"] = True
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(frame[FEATURES], frame["churned"])
    return frame, model


def test_evidence_sentences_show_the_users_own_counts():
    rows = pd.DataFrame({"very_slow": [7, 0.5], "loads": [12, np.nan], "share": [0.456, 0.1]})
    assert render("{very_slow} of {loads} page loads over 3 s", rows).tolist() == [
        "7 of 12 page loads over 3 s", "0.50 of ? page loads over 3 s"]
    assert render("{share:.0%} of orders with a coupon", rows).tolist() == ["46% of orders with a coupon", "10% of orders with a coupon"]
    counts = pd.DataFrame({"late": [1, 2, 0]})
    assert render("{late} late [delivery|deliveries] lately", counts).tolist() == [
        "1 late delivery lately", "2 late deliveries lately", "0 late deliveries lately"]


def test_a_cause_is_named_only_with_the_users_evidence_and_worded_with_it(users):
    frame, model = users
    causes = explain_causes(model, frame, FEATURES, words=WORDS, evidence=EVIDENCE,
                            references=retained_references(frame, FEATURES))
    late_only = (frame["late_deliveries_90d"] > 0) & (frame["slow_responses_90d"] == 0)
    neither = (frame["late_deliveries_90d"] == 0) & (frame["slow_responses_90d"] == 0)
    assert (causes.loc[late_only, "cause_1"] == "logistics").all()
    assert causes.loc[late_only, "cause_2"].isna().all()
    assert causes.loc[neither, ["cause_1", "main_cause_evidence"]].isna().all().all()
    user = frame.index[late_only & (frame["late_deliveries_90d"] == 2)][0]
    assert causes.at[user, "main_cause_evidence"] == "2 late deliveries in the last 90 days"
    assert causes.at[user, "cause_words_1"] == "late deliveries"
    # The symptom is engagement, never a cause.
    assert causes["symptom"].dropna().isin(["fewer active days", "no recent visit"]).all()


@pytest.mark.parametrize("with_rarity", [False, True])
def test_the_bigger_grievance_is_the_main_cause(users, with_rarity):
    frame, model = users
    causes = explain_causes(model, frame, FEATURES, words=WORDS, evidence=EVIDENCE,
                            references=retained_references(frame, FEATURES), retained=frame if with_rarity else None)
    both = (frame["late_deliveries_90d"] > 0) & (frame["slow_responses_90d"] > 0)
    more_late = both & (frame["late_deliveries_90d"] >= frame["slow_responses_90d"] + 2)
    more_slow = both & (frame["slow_responses_90d"] >= frame["late_deliveries_90d"] + 2)
    assert (causes.loc[more_late, "cause_1"] == "logistics").mean() > 0.8
    assert (causes.loc[more_slow, "cause_1"] == "service").mean() > 0.8
    assert causes.loc[both, ["cause_1", "cause_2"]].notna().all().all()


def test_rarity_is_how_few_retained_users_have_as_much_evidence():
    rows = pd.DataFrame({"late_deliveries_90d": [0] * 90 + [1] * 9 + [3] + [5] * 50,
                         "churned": [0] * 100 + [1] * 50, "label_mature": True})  # churners do not count
    users = pd.DataFrame({"late_deliveries_90d": [0, 1, 3, 5, np.nan]})
    rarity = evidence_rarity(users, EVIDENCE, rows)
    assert list(rarity.columns) == ["logistics"]  # slow replies: no column, no family
    assert rarity["logistics"].to_numpy() == pytest.approx([0, -np.log(0.10), -np.log(0.01), -np.log(0.01), 0])
    many = pd.DataFrame({"late_deliveries_90d": [0] * 100_000, "churned": 0})  # nobody retained had one
    assert evidence_rarity(users.iloc[[1]], EVIDENCE, many)["logistics"].item() == pytest.approx(-np.log(RARITY_FLOOR))


def test_comparable_users_are_retained_users_of_the_same_engagement_level(users):
    frame, _ = users
    references = retained_references(frame, FEATURES)
    levels = engagement_level(frame)
    heavy = (levels == levels.max()) & (frame["churned"] == 0)
    assert references.loc[levels.max(), "active_days_30d"] == frame.loc[heavy, "active_days_30d"].median()
    assert references.loc[0, "active_days_30d"] == 0  # level 0: no active day


def test_reasons_list_the_causes_before_the_symptom():
    causes = pd.DataFrame({
        "cause_1": ["logistics", None], "cause_words_1": ["late deliveries", None],
        "cause_2": ["service", None], "cause_words_2": ["slow customer-service replies", None],
        "cause_3": [None, None], "cause_words_3": [None, None],
        "main_cause_evidence": ["2 late deliveries in the last 90 days", None],
        "symptom": ["no recent visit", "no recent visit"],
    })
    out = reasons_in_order(causes)
    assert out.loc[0, ["reason_1", "reason_2", "reason_3"]].tolist() == [
        "late deliveries", "slow customer-service replies", "no recent visit"]
    assert out.loc[0, ["reason_family_1", "reason_family_3"]].tolist() == ["logistics", "falling_engagement"]
    assert out.loc[1, "reason_1"] == "no recent visit" and pd.isna(out.loc[1, "main_cause"])
    assert out.loc[0, "main_cause_words"] == "late deliveries"
