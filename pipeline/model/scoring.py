"""Scores with reasons: the champion's probability, a risk tier, the main cause with this
user's evidence, the symptom, and the top 3 reasons in words (the causes, then the symptom).

Reasons are worked out for the users a team acts on (high and medium risk; the playbook does
nothing for low risk): one occlusion prediction per cause family and engagement feature costs
in proportion to the users explained, and most users are low risk.
"""

import numpy as np
import pandas as pd

from ml.causes import Evidence, explain_causes, retained_references
from ml.frame import feature_matrix
from ml.reasons import FALLING_ENGAGEMENT
from ml.score import alias_version, churn_probability, input_columns, load_version, use_tracking_store
from pipeline.model.risk_tiers import RiskTierConfig, risk_tiers

REASON_COLUMNS = [f"{prefix}_{i}" for i in (1, 2, 3) for prefix in ("reason", "reason_family")]
CAUSE_COLUMNS = ["main_cause", "main_cause_words", "main_cause_evidence", "symptom"]
EXPLAIN_CHUNK = 50_000  # users explained at a time


def score_with_reasons(features: pd.DataFrame, config: RiskTierConfig, *, words: dict, evidence: list[Evidence],
                       retained: pd.DataFrame, tracking_uri: str, model_name: str) -> pd.DataFrame:
    """user_id, as_of_date, churn_probability, risk_tier, model_version, main_cause, main_cause_words,
    main_cause_evidence, symptom, reason_1..3, reason_family_1..3. `words` is the feature catalog,
    {feature: (plain words, family)}; `retained`: labelled rows of users who stayed, the
    comparable users a cause is measured against."""
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
        return scores.assign(**{column: None for column in CAUSE_COLUMNS + REASON_COLUMNS})
    references = retained_references(retained, columns)
    risky = features[explained]
    # In chunks: the trees' leaves kept per row (ml/occlusion.py) stay under 250 MB at any size.
    causes = pd.concat([explain_causes(model, risky.iloc[start:start + EXPLAIN_CHUNK], columns, words=words,
                                       evidence=evidence, references=references, retained=retained,
                                       symptom_reference=reference)
                        for start in range(0, len(risky), EXPLAIN_CHUNK)])
    joined = scores.join(reasons_in_order(causes))
    # Unexplained rows as None, not float NaN: DuckDB reads an object column by sampling it, and
    # a NaN first could store the text 'nan' instead of NULL.
    text = joined[CAUSE_COLUMNS + REASON_COLUMNS].astype(object)
    return joined.assign(**text.where(text.notna(), None))


def reasons_in_order(causes: pd.DataFrame) -> pd.DataFrame:
    """main_cause..symptom, and reason_1..3 / reason_family_1..3: the causes then the symptom,
    so the first reason says why before what."""
    slots = [(causes[f"cause_words_{i}"], causes[f"cause_{i}"]) for i in (1, 2, 3)]
    slots.append((causes["symptom"], causes["symptom"].where(causes["symptom"].isna(), FALLING_ENGAGEMENT)))
    reasons, families = np.full((len(causes), 3), None, dtype=object), np.full((len(causes), 3), None, dtype=object)
    filled = np.zeros(len(causes), dtype=int)
    for words, family in slots:
        rows = np.flatnonzero(words.notna().to_numpy() & (filled < 3))
        reasons[rows, filled[rows]] = words.to_numpy()[rows]
        families[rows, filled[rows]] = family.to_numpy()[rows]
        filled[rows] += 1
    out = causes.rename(columns={"cause_1": "main_cause", "cause_words_1": "main_cause_words"})[CAUSE_COLUMNS].copy()
    for i in range(3):
        out[f"reason_{i + 1}"], out[f"reason_family_{i + 1}"] = reasons[:, i], families[:, i]
    return out
