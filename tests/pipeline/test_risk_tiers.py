import numpy as np
import pandas as pd
import pytest

from pipeline.model.risk_tiers import RiskTierConfig, risk_tiers

P = pd.Series([0.95, 0.85, 0.6, 0.55, 0.2, 0.1])
# A weak model on a clickstream: every probability between 0.23 and 0.33.
NARROW = pd.Series(np.linspace(0.23, 0.33, 100))


def test_tiers_by_probability_use_the_thresholds():
    tiers = risk_tiers(P, RiskTierConfig(risk_tier_by="probability", high_threshold=0.8, medium_threshold=0.5))
    assert tiers.tolist() == ["high", "high", "medium", "medium", "low", "low"]


def test_relative_tiers_are_the_default_and_single_out_the_riskiest_where_thresholds_see_nobody():
    assert set(risk_tiers(NARROW, RiskTierConfig(risk_tier_by="probability"))) == {"low"}
    tiers = risk_tiers(NARROW, RiskTierConfig())
    assert (tiers == "high").sum() == 10 and (tiers == "medium").sum() == 20
    assert NARROW[tiers == "high"].min() > NARROW[tiers == "medium"].max() > NARROW[tiers == "low"].max()


def test_relative_tiers_do_not_call_everyone_high_when_the_base_rate_is_high():
    common = pd.Series(np.linspace(0.7, 0.95, 50))  # a shop scoring every customer ever seen
    assert set(risk_tiers(common, RiskTierConfig(risk_tier_by="probability"))) >= {"high"}
    tiers = risk_tiers(common, RiskTierConfig())
    assert (tiers == "high").sum() == 5 and (tiers == "low").sum() == 35


def test_relative_tiers_never_rank_a_user_below_the_base_rate_above_low():
    tiers = risk_tiers(P, RiskTierConfig(high_share=0.5, medium_share=0.5, base_rate=0.58))
    assert tiers.tolist() == ["high", "high", "high", "low", "low", "low"]
    assert set(risk_tiers(pd.Series([0.2, 0.2, 0.2]), RiskTierConfig())) == {"low"}  # nobody above average
    assert risk_tiers(pd.Series([], dtype=float), RiskTierConfig()).empty


def test_tiers_by_capacity_fill_the_top_places_whatever_the_probabilities():
    tiers = risk_tiers(P[::-1], RiskTierConfig(risk_tier_by="capacity", high_capacity=1, medium_capacity=2))
    assert tiers.sort_index().tolist() == ["high", "medium", "medium", "low", "low", "low"]


def test_an_unknown_method_is_refused_by_name():
    with pytest.raises(ValueError, match="risk_tier_by"):
        risk_tiers(P, RiskTierConfig(risk_tier_by="vibes"))
