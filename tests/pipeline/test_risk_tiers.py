import pandas as pd
import pytest

from pipeline.model.risk_tiers import RiskTierConfig, risk_tiers

P = pd.Series([0.95, 0.85, 0.6, 0.55, 0.2, 0.1])


def test_tiers_by_probability_use_the_thresholds():
    tiers = risk_tiers(P, RiskTierConfig(high_threshold=0.8, medium_threshold=0.5))
    assert tiers.tolist() == ["high", "high", "medium", "medium", "low", "low"]


def test_tiers_by_capacity_fill_the_top_places_whatever_the_probabilities():
    tiers = risk_tiers(P[::-1], RiskTierConfig(risk_tier_by="capacity", high_capacity=1, medium_capacity=2))
    assert tiers.sort_index().tolist() == ["high", "medium", "medium", "low", "low", "low"]


def test_an_unknown_method_is_refused_by_name():
    with pytest.raises(ValueError, match="risk_tier_by"):
        risk_tiers(P, RiskTierConfig(risk_tier_by="vibes"))
