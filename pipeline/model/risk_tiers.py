"""Risk tiers from churn probabilities: by rank above the base rate (default), by fixed
probability thresholds, or by outreach capacity. The one place the tiers are defined."""

import numpy as np
import pandas as pd

import dagster as dg

TIERS = ("high", "medium", "low")
MODES = ("relative", "probability", "capacity")


class RiskTierConfig(dg.Config):
    """How users are put in the high / medium / low tiers (`risk_tier_by`):

    - `relative` (default): high = the riskiest `high_share` of the scored users, medium = the
      next `medium_share`, and in both only users above the base rate (`base_rate` if given,
      e.g. the training label rate, else the mean probability of the users scored). It means
      the same on any log: fixed thresholds call everyone low when every probability lies in
      0.23-0.33 (a weak model on a clickstream) and everyone high when the base rate is 0.8 (a
      shop scoring every customer ever seen), while a user who is no riskier than average is
      never "high" just for being ranked.
    - `probability`: fixed thresholds, high from `high_threshold`, medium from
      `medium_threshold`; for a model whose probabilities are known to be well spread.
    - `capacity`: the top `high_capacity` users are high, the next `medium_capacity` medium,
      for teams that can only reach so many people a day.
    """

    risk_tier_by: str = "relative"
    high_share: float = 0.10
    medium_share: float = 0.20
    base_rate: float | None = None
    high_threshold: float = 0.8
    medium_threshold: float = 0.5
    high_capacity: int = 200
    medium_capacity: int = 800


def risk_tiers(probability: pd.Series, config: RiskTierConfig) -> pd.Series:
    # Ranks break ties by position so shares and capacities are exact and reproducible.
    rank = probability.rank(method="first", ascending=False)
    if config.risk_tier_by == "relative":
        base = config.base_rate if config.base_rate is not None else float(probability.mean())
        above = (probability > base).to_numpy()
        n = len(probability)
        high, medium = rank <= config.high_share * n, rank <= (config.high_share + config.medium_share) * n
        return _tiers(probability, above & high, above & medium)
    if config.risk_tier_by == "probability":
        return _tiers(probability, probability >= config.high_threshold, probability >= config.medium_threshold)
    if config.risk_tier_by == "capacity":
        return _tiers(probability, rank <= config.high_capacity, rank <= config.high_capacity + config.medium_capacity)
    raise ValueError(f"risk_tier_by must be one of {MODES}, got {config.risk_tier_by!r}")


def _tiers(probability: pd.Series, high, medium) -> pd.Series:
    return pd.Series(np.select([high, medium], ["high", "medium"], "low"), index=probability.index)
