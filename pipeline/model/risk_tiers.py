"""Risk tiers from churn probabilities: by probability thresholds, or by outreach capacity."""

import numpy as np
import pandas as pd

import dagster as dg

TIERS = ("high", "medium", "low")


class RiskTierConfig(dg.Config):
    """`probability`: tiers by thresholds. `capacity`: the top N users are high, the next M medium,
    for teams that can only reach so many people a day."""

    risk_tier_by: str = "probability"
    high_threshold: float = 0.8
    medium_threshold: float = 0.5
    high_capacity: int = 200
    medium_capacity: int = 800


def risk_tiers(probability: pd.Series, config: RiskTierConfig) -> pd.Series:
    if config.risk_tier_by == "probability":
        tiers = np.select([probability >= config.high_threshold, probability >= config.medium_threshold],
                          ["high", "medium"], "low")
        return pd.Series(tiers, index=probability.index)
    if config.risk_tier_by == "capacity":
        # Rank ties broken by position so the capacity is exact and the result reproducible.
        rank = probability.rank(method="first", ascending=False)
        tiers = np.select([rank <= config.high_capacity, rank <= config.high_capacity + config.medium_capacity],
                          ["high", "medium"], "low")
        return pd.Series(tiers, index=probability.index)
    raise ValueError(f"risk_tier_by must be 'probability' or 'capacity', got {config.risk_tier_by!r}")
