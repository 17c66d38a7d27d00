"""Per-user reasons for churn risk, by occlusion: how much lower would this user's risk be if
one feature were typical?

Contribution of feature f = p(x) - p(x with f set to the reference value), the reference being
the median of the scored users unless given (e.g. training medians). Only features that RAISE
risk become reasons, and a null feature is never a reason: "page loads over 3 s" cannot explain
the risk of a user who loaded no page. Features sharing the same words (avg and count of slow
replies) count once, at their largest contribution. Cost: one prediction per feature of the rows
away from the reference, with only the trees that read the feature (ml/occlusion.py).
"""

import numpy as np
import pandas as pd

from ml.frame import feature_matrix
from ml.occlusion import Occlusion
from ml.reasons import Words, describe

MIN_INCREASE = 0.01  # a reason must raise the churn probability by at least 1 point


def top_reasons(
    model,
    frame: pd.DataFrame,
    feature_columns: list[str],
    k: int = 3,
    *,
    words: Words | None = None,
    reference: dict[str, float] | None = None,
    min_increase: float = MIN_INCREASE,
    only: list[str] | None = None,
) -> pd.DataFrame:
    """user_id, reason_1..k, family_1..k, impact_1..k (probability points); None when fewer
    than k features raise risk by min_increase. `model`: sklearn (predict_proba) or pyfunc;
    `words`: {feature: (plain words, family)}, from the feature catalog; `only`: the features
    that may be reasons (default all)."""
    by_words = reason_contributions(model, feature_matrix(frame, feature_columns), reference, words, only)
    order = np.argsort(-by_words.to_numpy(), axis=1, kind="stable")[:, :k]
    impact = np.take_along_axis(by_words.to_numpy(), order, axis=1)
    keep = impact >= min_increase
    described = np.array(list(by_words.columns), dtype=object)  # rows of (words, family)
    # A model with fewer than k features (a one-column baseline) still gets all k columns, empty.
    pad = ((0, 0), (0, k - order.shape[1]))
    words = np.pad(np.where(keep, described[order, 0], None), pad, constant_values=None)
    families = np.pad(np.where(keep, described[order, 1], None), pad, constant_values=None)
    impact = np.pad(np.where(keep, impact, np.nan), pad, constant_values=np.nan)
    result = {"user_id": frame["user_id"].to_numpy()}
    for i in range(k):
        result[f"reason_{i + 1}"] = words[:, i]
        result[f"family_{i + 1}"] = families[:, i]
        result[f"impact_{i + 1}"] = impact[:, i]
    return pd.DataFrame(result, index=frame.index)


def feature_contributions(model, x: pd.DataFrame, reference: dict | None = None,
                          only: list[str] | None = None) -> pd.DataFrame:
    """p(x) - p(x with the feature at its reference), per user and feature (of `only`, default
    all); 0 where x is null. Only the rows whose value differs from the reference are predicted
    again (the others' contribution is exactly 0), and of a tree model only the trees that split
    on the feature (ml/occlusion.py). `model` may be an Occlusion of x already."""
    reference = reference or x.median().to_dict()
    occlusion = Occlusion.of(model, x)
    out = {}
    for feature in only if only is not None else x.columns:
        value = reference.get(feature, np.nan)
        contribution = np.zeros(len(x))
        if not pd.isna(value):
            moved = (x[feature].notna() & (x[feature] != value)).to_numpy()
            if moved.any():
                contribution[moved] = occlusion.base[moved] - occlusion.replaced(moved, {feature: value})
        out[feature] = contribution
    return pd.DataFrame(out, index=x.index)


def reason_contributions(model, x: pd.DataFrame, reference: dict | None = None,
                         words: Words | None = None, only: list[str] | None = None) -> pd.DataFrame:
    """Contributions per (words, family): the largest of the features described by them."""
    by_feature = feature_contributions(model, x, reference, only)
    described = pd.MultiIndex.from_tuples([describe(f, words) for f in by_feature.columns])
    return by_feature.T.groupby(described.to_flat_index(), sort=True).max().T
