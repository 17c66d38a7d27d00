"""Turn one file's text rows into contract-typed events, and say why each bad row is bad.

Nothing is dropped silently: every row read ends up loaded, rejected (with its reasons) or
counted as a duplicate.
"""

import json
import re
from dataclasses import dataclass

import pandas as pd

from pipeline.raw.contract import CANONICAL_COLUMNS, NON_NEGATIVE_COLUMNS, NUMERIC_COLUMNS, REQUIRED_COLUMNS
from pipeline.raw.mapping import Mapping, event_type_key
from pipeline.raw.read import LandingFileError

_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
LINEAGE = ["source_file", "source_line"]


@dataclass
class Validated:
    events: pd.DataFrame  # canonical columns + source_file, source_line
    rejected: pd.DataFrame  # source_file, source_line, raw_content, reason


def check_structure(frame: pd.DataFrame, mapping: Mapping, path: str) -> None:
    """A required column missing from a file fails the whole partition, naming both."""
    for canonical in REQUIRED_COLUMNS:
        source = mapping.columns.get(canonical)
        if source is not None and source not in frame.columns:
            raise LandingFileError(
                f"{path}: required column '{source}' (mapped to '{canonical}') is missing; "
                f"columns found: {[c for c in frame.columns if c not in ('source_file', 'source_line')]}"
            )


def to_canonical(frame: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """Rename source columns to the contract; unmapped optional columns become null."""
    out = pd.DataFrame(index=frame.index)
    for canonical in CANONICAL_COLUMNS:
        source = mapping.columns.get(canonical)
        out[canonical] = frame[source] if source in frame.columns else mapping.defaults.get(canonical)
    types = out["event_type"].map(lambda t: event_type_key(t) if isinstance(t, str) else t)
    out["event_type"] = types.map(lambda t: mapping.event_types.get(t, t) if t else t)
    return out


def validate(frame: pd.DataFrame, mapping: Mapping) -> Validated:
    text = to_canonical(frame, mapping)
    reasons = pd.Series("", index=frame.index)
    if "_parse_error" in frame.columns:
        reasons = _add(reasons, frame["_parse_error"].notna(), frame["_parse_error"].fillna(""))
    for column in REQUIRED_COLUMNS:
        blank = text[column].isna() | (text[column].astype(str).str.strip() == "")
        reasons = _add(reasons, blank, f"{column} is missing")
    typed = text.copy()
    typed["event_time"] = parse_times(text["event_time"], mapping)
    reasons = _add(reasons, typed["event_time"].isna() & text["event_time"].notna(),
                   "event_time is not a valid timestamp: " + text["event_time"].astype(str))
    for column in NUMERIC_COLUMNS:
        typed[column] = pd.to_numeric(text[column], errors="coerce")
        reasons = _add(reasons, typed[column].isna() & text[column].notna(),
                       f"{column} is not a number: " + text[column].astype(str))
    for column in NON_NEGATIVE_COLUMNS:
        reasons = _add(reasons, typed[column] < 0, f"{column} is negative")
    reasons = _add(reasons, ~typed["rating"].between(1, 5) & typed["rating"].notna(), "rating is outside 1-5")
    reasons = _add(reasons, ~text["properties"].map(_is_json_or_null), "properties is not valid JSON")
    return _split(frame, typed, reasons)


def parse_times(values: pd.Series, mapping: Mapping) -> pd.Series:
    """Parse to naive UTC. Strings with an offset keep it; naive ones are in the mapping's zone."""
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    present = values.dropna()
    fmt = mapping.timestamp_format
    with_offset = present.str.strip().str.contains(_HAS_OFFSET)
    if with_offset.any():
        parsed = pd.to_datetime(present[with_offset], format=fmt, errors="coerce", utc=True)
        result[parsed.index] = parsed.dt.tz_localize(None)
    naive = present[~with_offset]
    if len(naive):
        parsed = pd.to_datetime(naive, format=fmt, errors="coerce")
        if mapping.timezone.upper() != "UTC":
            parsed = parsed.dt.tz_localize(mapping.timezone, ambiguous="NaT", nonexistent="shift_forward")
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        result[parsed.index] = parsed
    return result


def _add(reasons: pd.Series, mask, message) -> pd.Series:
    mask = pd.Series(mask, index=reasons.index).fillna(False).astype(bool)
    if not mask.any():  # the usual case: skip the string work
        return reasons
    message = message[mask] if isinstance(message, pd.Series) else message
    joined = reasons[mask].where(reasons[mask] == "", reasons[mask] + "; ") + message
    reasons = reasons.copy()
    reasons[mask] = joined
    return reasons


def _is_json_or_null(value) -> bool:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return True
    try:
        json.loads(value)
        return True
    except (TypeError, json.JSONDecodeError):
        return False


def _split(frame: pd.DataFrame, typed: pd.DataFrame, reasons: pd.Series) -> Validated:
    bad = reasons != ""
    rejected = frame.loc[bad, LINEAGE].copy()
    rejected["raw_content"] = _raw_content(frame.loc[bad])
    rejected["reason"] = reasons[bad]
    good = pd.concat([typed.loc[~bad], frame.loc[~bad, LINEAGE]], axis=1)
    return Validated(events=good, rejected=rejected)


def drop_duplicates(events: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep the first of rows sharing an event_id, or of identical rows without one."""
    has_id = events["event_id"].notna()
    by_id = has_id & events.duplicated(subset=["event_id"])
    same_row = ~has_id & events.duplicated(subset=list(CANONICAL_COLUMNS))
    duplicate = by_id | same_row
    return events.loc[~duplicate], int(duplicate.sum())


def _raw_content(rows: pd.DataFrame) -> list[str]:
    """The row as it was in the file (JSONL keeps its line; CSV and Parquet become JSON)."""
    if "raw_content" in rows.columns:
        return rows["raw_content"].tolist()
    source = rows.drop(columns=[c for c in ("source_file", "source_line", "_parse_error") if c in rows.columns])
    source = source.astype(object).where(source.notna(), None)
    return [json.dumps(r, ensure_ascii=False) for r in source.to_dict(orient="records")]
