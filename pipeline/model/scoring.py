"""Scores with reasons: the champion's probability, a risk tier and the top 3 reasons in words.

Reasons are worked out for the users a team acts on (high and medium risk; the playbook does
nothing for low risk): one occlusion prediction per feature costs in proportion to the users
explained, and most users are low risk.
"""

import pandas as pd

from ml.explain import top_reasons
from ml.frame import feature_matrix
from ml.score import alias_version, churn_probability, input_columns, load_version, use_tracking_store
from pipeline.model.risk_tiers import RiskTierConfig, risk_tiers

REASON_COLUMNS = [f"{prefix}_{i}" for i in (1, 2, 3) for prefix in ("reason", "reason_family")]


def score_with_reasons(features: pd.DataFrame, config: RiskTierConfig, *, words: dict, tracking_uri: str,
                       model_name: str) -> pd.DataFrame:
    """user_id, as_of_date, churn_probability, risk_tier, model_version, reason_1..3, reason_family_1..3;
    `words` is the feature catalog, {feature: (plain words, family)}."""
    version = alias_version(use_tracking_store(tracking_uri), model_name, "champion")
    if version is None:
        raise LookupError(f"{model_name} has no @champion in {tracking_uri}: train it first (asset churn_model)")
    model = load_version(model_name, version)  # loaded once: the reasons explain this very probability
    scores = features[["user_id", "as_of_date"]].assign(
        churn_probability=churn_probability(model, features), model_version=version)
    scores["risk_tier"] = risk_tiers(scores["churn_probability"], config)
    columns = input_columns(model)
    # "Typical" stays the median of everyone scored, not of the risky users explained.
    reference = feature_matrix(features, columns).median().to_dict()
    explained = scores["risk_tier"].isin(["high", "medium"]).to_numpy()
    if not explained.any():  # nobody at risk: no reasons to give
        return scores.assign(**{column: None for column in REASON_COLUMNS})
    reasons = top_reasons(model, features[explained], columns, words=words, reference=reference)
    reasons = reasons.rename(columns={f"family_{i}": f"reason_family_{i}" for i in (1, 2, 3)})
    joined = scores.join(reasons[REASON_COLUMNS])
    # Unexplained rows as None, not float NaN: DuckDB reads an object column by sampling it, and
    # a NaN first could store the text 'nan' instead of NULL.
    words = joined[REASON_COLUMNS].astype(object)
    return joined.assign(**words.where(words.notna(), None))
