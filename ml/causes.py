"""Why a user is at risk, as causes and a symptom.

- A cause is a family a team can fix (experience, service, logistics, trust, value_or_price,
  or the family a mapping gives a custom event type). It is named for a user only when the
  user's own evidence is there ("2 late deliveries in the last 90 days"): a user who had no
  late delivery is never told deliveries are why.
- Causes are ranked by how much the user's risk (log-odds) falls when every feature of the
  family is set to what comparable retained users have: the median of users of the same
  engagement level (active days in the last 30) who did not churn. Against the population
  median instead, a lapsing user's risk is explained by their lapsing ("no recent visit"),
  which is what is happening, not why. Given `retained` rows, a family also gains for how rare
  the user's evidence is among users who stayed (evidence_rarity).
- The symptom is the engagement words (no recent visit, visiting less than before): the
  falling-engagement feature that raises risk most against the population median.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.explain import top_reasons
from ml.frame import feature_matrix
from ml.occlusion import Occlusion
from ml.reasons import FALLING_ENGAGEMENT, OTHER, Words

LEVEL_COLUMN = "active_days_30d"
LEVEL_EDGES = (1, 2, 4, 8, 16)  # active days in 30: none, 1, 2-3, 4-7, 8-15, 16+
NOT_CAUSES = (FALLING_ENGAGEMENT, OTHER)
RARITY_WEIGHT = 0.3  # log-odds per e-fold rarer evidence among retained users (evidence_rarity)
# Shares below it count as it: the term stays within 0.3 x ln(1000), about 2.1 log-odds,
# however many retained rows there are (200 k in production would otherwise allow 3.7).
RARITY_FLOOR = 1e-3


@dataclass(frozen=True)
class Evidence:
    """A column whose value above 0 is evidence of `family` for a user, shown as `template`
    with the user's `{column}` values filled in."""

    column: str
    family: str
    words: str
    template: str


def engagement_level(frame: pd.DataFrame) -> np.ndarray:
    """Comparable users: the same bucket of active days in the last 30 (0 when unknown)."""
    active = frame[LEVEL_COLUMN] if LEVEL_COLUMN in frame else pd.Series(0, index=frame.index)
    return np.digitize(pd.to_numeric(active, errors="coerce").fillna(0).to_numpy(), LEVEL_EDGES)


def retained_references(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per engagement level, the median features of users who stayed (mature label, not
    churned); a level without retained users takes all retained users' median."""
    retained = rows[_stayed(rows)]
    x = feature_matrix(retained, columns)
    by_level = x.groupby(engagement_level(retained)).median()
    levels = pd.Index(range(len(LEVEL_EDGES) + 1))
    return by_level.reindex(levels).fillna(x.median())


def _stayed(rows: pd.DataFrame) -> pd.Series:
    """Rows of users who stayed: a mature label, not churned."""
    return (rows["churned"] == 0) & rows.get("label_mature", True)


def evidence_rarity(frame: pd.DataFrame, evidence: list[Evidence], rows: pd.DataFrame) -> pd.DataFrame:
    """Per user and cause family: how rare the user's evidence is among users who stayed (mature
    label, not churned), -ln(share of them with at least the user's value), of the family's
    rarest evidence column; 0 without evidence. One late delivery is common, three complaints
    are not. Shares count as at least RARITY_FLOOR."""
    columns = [e.column for e in evidence if e.family not in NOT_CAUSES and e.column in frame and e.column in rows]
    retained = rows.loc[_stayed(rows), columns]  # the evidence columns only: `rows` may be 200 k wide rows
    out = pd.DataFrame(index=frame.index)
    for item in evidence:
        if item.column not in columns:
            continue
        value = pd.to_numeric(frame[item.column], errors="coerce").fillna(0).to_numpy()
        stayed = np.sort(pd.to_numeric(retained[item.column], errors="coerce").fillna(0).to_numpy())
        n = max(len(stayed), 1)
        share = 1 - np.searchsorted(stayed, value, side="left") / n
        rarity = np.where(value > 0, -np.log(np.clip(share, max(1 / n, RARITY_FLOOR), 1)), 0.0)
        out[item.family] = np.maximum(out[item.family], rarity) if item.family in out else rarity
    return out


def family_contributions(model, x: pd.DataFrame, levels: np.ndarray, references: pd.DataFrame,
                         families: dict[str, list[str]]) -> pd.DataFrame:
    """How much the family raises the user's risk: log-odds(x) - log-odds(x with the family's
    features at the comparable retained users' values), per user and family. Log-odds, not
    probability points: a user already near 1 still shows which family moved them there.
    One prediction per family, of the trees that read its features (ml/occlusion.py); `model`
    may be an Occlusion of x already."""
    occlusion = Occlusion.of(model, x)
    base = _log_odds(occlusion.base)
    reference = references.reindex(levels)
    every_row = np.ones(len(x), dtype=bool)
    out = {}
    for family, columns in families.items():
        typical = reference[columns].to_numpy()
        values = np.where(np.isnan(typical), x[columns].to_numpy(), typical)
        out[family] = base - _log_odds(occlusion.replaced(every_row, dict(zip(columns, values.T))))
    return pd.DataFrame(out, index=x.index)


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def render(template: str, rows: pd.DataFrame) -> pd.Series:
    """Fill each `{column}` or `{column:spec}` with the row's value (whole numbers without
    decimals unless a spec says otherwise), for all rows at once. `[one|many]` after a
    placeholder agrees with its value: "{late_deliveries_90d} late [delivery|deliveries]"."""
    pieces = re.split(r"\{(\w+)(?::([^}]*))?\}", template)
    out = pd.Series(pieces[0], index=rows.index, dtype=object)
    for i in range(1, len(pieces), 3):
        column, spec, text = pieces[i], pieces[i + 1], pieces[i + 2]
        values = pd.to_numeric(rows[column], errors="coerce") if column in rows else pd.Series(np.nan, index=rows.index)
        one, many = (re.sub(r"\[([^|\]]*)\|([^\]]*)\]", rf"\{k}", text) for k in (1, 2))
        out = out + values.map(lambda v, s=spec: _format(v, s)) + np.where(values == 1, one, many)
    return out


def _format(value: float, spec: str | None) -> str:
    if pd.isna(value):
        return "?"
    if spec:
        return format(value, spec)
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def evidence_by_family(frame: pd.DataFrame, evidence: list[Evidence]) -> dict[str, pd.DataFrame]:
    """Per cause family: the words and sentence of each user's first present evidence (in
    catalog order), None where the user has none."""
    shown: dict[str, pd.DataFrame] = {}
    for item in evidence:
        if item.family in NOT_CAUSES or item.column not in frame:
            continue
        present = pd.to_numeric(frame[item.column], errors="coerce").fillna(0) > 0
        found = pd.DataFrame({"words": item.words, "sentence": None}, index=frame.index, dtype=object)
        found.loc[present, "sentence"] = render(item.template, frame[present])
        found.loc[~present, "words"] = None
        shown[item.family] = shown[item.family].combine_first(found) if item.family in shown else found
    return shown


def explain_causes(model, frame: pd.DataFrame, columns: list[str], *, words: Words,
                   evidence: list[Evidence], references: pd.DataFrame, retained: pd.DataFrame | None = None,
                   symptom_reference: dict | None = None, k: int = 3) -> pd.DataFrame:
    """Per user (frame's index): cause_1..k (families with evidence, most risk first), their
    words cause_words_1..k, main_cause_evidence (the sentence of cause_1), symptom; None where
    there is none. `retained`: labelled rows the evidence's rarity is measured on (None: not)."""
    families: dict[str, list[str]] = {}
    for column in columns:
        family = words.get(column, (column, OTHER))[1]
        if family not in NOT_CAUSES:
            families.setdefault(family, []).append(column)
    shown = evidence_by_family(frame, evidence)
    names = sorted(shown)
    x = feature_matrix(frame, columns)
    occlusion = Occlusion(model, x)  # the risky users' scores, predicted once for causes and symptom
    contributions = family_contributions(occlusion, x, engagement_level(frame), references,
                                         {f: families[f] for f in names if f in families})
    # Named when the user's evidence is there, most risk first. A family the model gives no
    # weight (no feature of it, or an attribution of 0 or below) still counts: requiring a
    # positive attribution left most of the demo's price-driven churners without any cause, when
    # the demo's price driver left no trace but a coupon habit, which the model did not tell from
    # churn (before the demo logged abandoned checkouts).
    contributions = contributions.reindex(columns=names, fill_value=0.0)
    # The contribution alone favours the family whose features best predict churn to come (a late
    # delivery, which recurs) over the rarer grievance that followed it (a complaint about it), so
    # every family also ranks by its evidence's rarity among users who stayed (README, "The
    # model"): rare enough evidence (at most 2.1 log-odds' worth) can put a family the model
    # gives no weight first. Adding it only where the attribution is positive named the demo's
    # true driver less often (61.6 % against 62.4 %; seed 7: 59.4 % against 60.5 %).
    if retained is not None:
        rarity = evidence_rarity(frame, evidence, retained).reindex(columns=names, fill_value=0.0)
        contributions += RARITY_WEIGHT * rarity
    has_evidence = pd.DataFrame({f: shown[f]["sentence"].notna() for f in names}, index=frame.index)
    ranked = contributions.where(has_evidence, -np.inf).to_numpy()
    order = np.argsort(-ranked, axis=1, kind="stable")
    named = np.take_along_axis(has_evidence.to_numpy(), order, axis=1)
    family_names = np.array(names, dtype=object)
    result = pd.DataFrame(index=frame.index)
    for i in range(k):
        cause = np.where(named[:, i], family_names[order[:, i]], None) if i < len(names) else [None] * len(frame)
        result[f"cause_{i + 1}"] = pd.Series(cause, index=frame.index, dtype=object)
        result[f"cause_words_{i + 1}"] = _evidence_field(shown, cause, "words")
    result["main_cause_evidence"] = _evidence_field(shown, result["cause_1"], "sentence")
    engagement = [c for c in columns if words.get(c, (c, OTHER))[1] == FALLING_ENGAGEMENT]
    symptom = top_reasons(occlusion, frame, columns, 1, words=words, reference=symptom_reference, only=engagement)
    result["symptom"] = symptom["reason_1"] if engagement else None
    return result


def _evidence_field(shown: dict[str, pd.DataFrame], causes, field: str) -> np.ndarray:
    """Per row, the field of the family in `causes` (None where there is none): a family at a time."""
    causes = np.asarray(causes, dtype=object)
    out = np.full(len(causes), None, dtype=object)
    for family, found in shown.items():
        rows = causes == family
        out[rows] = found[field].to_numpy()[rows]  # found is on the frame's index, in its order
    return out
