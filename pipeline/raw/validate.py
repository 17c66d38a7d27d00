"""Turn one file's text rows into contract-typed events, and say why each bad row is bad.

Nothing is dropped silently: every row read ends up loaded, rejected (with its reasons) or
counted as a duplicate (a duplicate whose content differs is also kept in raw.event_conflicts).
"""

import json
import re
import unicodedata
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.raw.contract import (
    CANONICAL_COLUMNS, ID_COLUMNS, MAX_ABS_NUMBER, NON_NEGATIVE_COLUMNS, NUMERIC_COLUMNS, REQUIRED_COLUMNS,
)
from pipeline.raw.mapping import Mapping
from pipeline.raw.read import ARROW_TEXT, LandingFileError

_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_LOOKS_ISO = r"^\s*\d{4}-\d{2}-\d{2}"
LINEAGE = ["source_file", "source_line"]
# What makes two rows with one event_id the same event: everything but the id and the lineage.
CONTENT_COLUMNS = [c for c in CANONICAL_COLUMNS if c != "event_id"]


@dataclass(frozen=True)
class EventWindow:
    """When an event of a landing day may have happened: from the first configured day up to the
    end of the landing day plus a tolerance (late clocks, time zones). Outside it, a time is a
    typo or a broken clock: 2099 would move "today" for everything downstream."""

    day: pd.Timestamp  # the landing day
    first_day: pd.Timestamp | None = None
    tolerance_days: int = 1

    @property
    def latest(self) -> pd.Timestamp:
        return self.day + pd.Timedelta(days=1 + self.tolerance_days)


@dataclass
class Validated:
    typed: pd.DataFrame  # every row read, rejected ones too: canonical columns + source_file, source_line
    loadable: np.ndarray  # the rows of typed that pass every check (the others are in rejected)
    rejected: pd.DataFrame  # source_file, source_line, raw_content, reason


def check_structure(frame: pd.DataFrame, mapping: Mapping, path: str) -> None:
    """A required column missing from a file fails the whole partition, naming both."""
    for canonical in REQUIRED_COLUMNS:
        source = mapping.columns.get(canonical)
        if source is not None and source not in frame.columns:
            raise LandingFileError(
                f"{path}: required column '{source}' (mapped to '{canonical}') is missing; columns found: "
                f"{[c for c in frame.columns if c not in ('source_file', 'source_line', 'raw_content', '_parse_error')]}"
            )


def _cleaned(values: pd.Series, normalize: bool = False) -> pd.Series:
    """Trimmed, and for identifiers NFKC-normalized (" u1 " and "ｕ１" are user u1); a blank
    value is missing. In Arrow: a Python call per value would be the slowest step of a load."""
    text = pa.array(values, type=pa.string(), from_pandas=True)
    if normalize:
        text = _nfkc(text)
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pd.Series(text, index=values.index, dtype=ARROW_TEXT)


def _nfkc(text: pa.Array) -> pa.Array:
    """NFKC by Python's unicodedata, for the values that are not ASCII (which NFKC leaves as
    they are): Arrow's utf8_normalize does not recompose ("é" stayed "e" + an accent;
    apache/arrow#51225)."""
    other = pc.invert(pc.fill_null(pc.string_is_ascii(text), True))
    if not pc.any(other).as_py():
        return text
    found = text.filter(other).to_pylist()
    return pc.replace_with_mask(text, other, pa.array([unicodedata.normalize("NFKC", v) for v in found], pa.string()))


def _lowered_and_mapped(types: pd.Series, mapping: Mapping) -> pd.Series:
    """Event types in lower case (Python's, as mapping.event_type_key: a final capital sigma is
    "ς"), then renamed by the mapping; worked out once per distinct type."""
    codes, uniques = pd.factorize(types)
    canonical = [mapping.event_types.get(t.lower(), t.lower()) for t in uniques]
    return pd.Series(pa.array(canonical, pa.string()).take(pa.array(codes, mask=codes < 0)),
                     index=types.index, dtype=ARROW_TEXT)


def to_canonical(frame: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """Rename source columns to the contract; unmapped optional columns become null. Values are
    trimmed, ids normalized, and event types compare as mapping.event_type_key does
    ("ＯＲＤＥＲ", "order " and "Order" are "order", with or without a mapping entry)."""
    out = pd.DataFrame(index=frame.index)
    for canonical in CANONICAL_COLUMNS:
        source = mapping.columns.get(canonical)
        values = frame[source] if source in frame.columns else pd.Series(mapping.defaults.get(canonical), index=frame.index)
        out[canonical] = _cleaned(values, normalize=canonical in ID_COLUMNS or canonical == "event_type")
    out["event_type"] = _lowered_and_mapped(out["event_type"], mapping)
    return out


def validate(frame: pd.DataFrame, mapping: Mapping, window: EventWindow | None = None) -> Validated:
    text = to_canonical(frame, mapping)
    typed = text.copy()
    typed["event_time"] = parse_times(text["event_time"], mapping)
    for column in NUMERIC_COLUMNS:
        typed[column] = pd.to_numeric(text[column], errors="coerce").astype(float)
    checks = _checks(frame, text, typed, window)
    unreadable = frame["_parse_error"].notna().to_numpy() if "_parse_error" in frame.columns else None
    bad = np.logical_or.reduce([mask for mask, _, _ in checks] + ([unreadable] if unreadable is not None else []))
    # The reasons are written for the bad rows alone: string work on every row of a large day
    # was a tenth of its load, and most rows pass every check.
    reasons = pd.Series("", index=frame.index[bad])
    for mask, message, values in checks:
        reasons = _add(reasons, mask[bad], message, None if values is None else values[bad])
    if unreadable is not None:  # the reader could not take the row: its reason says all
        reasons = reasons.where(~unreadable[bad], frame["_parse_error"][bad])
    typed["source_file"], typed["source_line"] = frame["source_file"], frame["source_line"]
    bad_rows = frame.loc[bad]
    rejected = bad_rows[LINEAGE].copy()
    rejected["raw_content"] = _raw_content(bad_rows)
    rejected["reason"] = reasons
    # The rejected rows stay in typed: the loader selects a file's rows once (after the day's
    # repeats are known), as selecting copies every cell.
    return Validated(typed=typed, loadable=~bad, rejected=rejected)


def _checks(frame: pd.DataFrame, text: pd.DataFrame, typed: pd.DataFrame,
            window: EventWindow | None) -> list[tuple[np.ndarray, str, pd.Series | None]]:
    """Every rule a row must pass, in the order its reasons are written: (the rows that break
    it, the reason, the values the reason ends with, if any)."""
    checks = [(text[column].isna(), f"{column} is missing", None) for column in REQUIRED_COLUMNS]
    time = typed["event_time"]
    checks.append((time.isna() & text["event_time"].notna(), "event_time is not a valid timestamp: ",
                   text["event_time"]))
    if window is not None:
        checks.append((time >= window.latest, f"event_time is after the landing day {window.day.date()} (more than "
                       f"{window.tolerance_days} day(s) of tolerance): ", time))
        if window.first_day is not None:
            checks.append((time < window.first_day,
                           f"event_time is before the first day {window.first_day.date()} (CHURN_FIRST_DAY): ", time))
    for column in NUMERIC_COLUMNS:
        number = typed[column]
        checks.append((number.isna() & text[column].notna(), f"{column} is not a number: ", text[column]))
        checks.append((~(number.abs() < MAX_ABS_NUMBER) & number.notna(),
                       f"{column} is not a finite number below {MAX_ABS_NUMBER:g} in size: ", text[column]))
    checks += [(typed[column] < 0, f"{column} is negative", None) for column in NON_NEGATIVE_COLUMNS]
    checks.append((~typed["rating"].between(1, 5) & typed["rating"].notna(), "rating is outside 1-5", None))
    properties = text["properties"].dropna()
    not_json = properties.index[~properties.map(_is_json).astype(bool)]
    checks.append((frame.index.isin(not_json), "properties is not valid JSON", None))
    return [(np.asarray(pd.Series(mask, index=frame.index).fillna(False), dtype=bool), message, values)
            for mask, message, values in checks]


def parse_times(values: pd.Series, mapping: Mapping) -> pd.Series:
    """Parse to naive UTC, to the microsecond (finer digits are cut). Strings with an offset
    keep it; naive ones are in the mapping's zone. A value not in the mapping's format that is
    ISO 8601 (a typed Parquet timestamp reads as such) is read as ISO 8601."""
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    present = values.dropna().astype(str)
    with_offset = present.str.contains(_HAS_OFFSET)
    for offset, part in ((True, present[with_offset]), (False, present[~with_offset])):
        if not len(part):
            continue
        parsed = _to_datetime(part, mapping.timestamp_format, offset)
        if mapping.timestamp_format != "ISO8601":
            retry = parsed.isna() & part.str.contains(_LOOKS_ISO)
            if retry.any():
                parsed = parsed.astype("datetime64[us]")
                parsed[retry] = _to_datetime(part[retry], "ISO8601", offset).astype("datetime64[us]")
        if not offset and mapping.timezone.upper() != "UTC":
            parsed = parsed.dt.tz_localize(mapping.timezone, ambiguous="NaT", nonexistent="shift_forward")
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        result[parsed.index] = parsed.astype("datetime64[us]")
    return result


def _to_datetime(values: pd.Series, fmt: str, with_offset: bool) -> pd.Series:
    parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=with_offset)
    return parsed.dt.tz_localize(None) if with_offset else parsed


def _add(reasons: pd.Series, mask: np.ndarray, message: str, values: pd.Series | None = None) -> pd.Series:
    """Append `message` (followed by the row's value, if given) to the reasons of masked rows."""
    if not mask.any():  # the usual case: skip the string work
        return reasons
    mask = pd.Series(mask, index=reasons.index)
    text = message if values is None else message + values[mask].astype(str)
    joined = reasons[mask].where(reasons[mask] == "", reasons[mask] + "; ") + text
    reasons = reasons.copy()
    reasons[mask] = joined
    return reasons


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
        return True
    except json.JSONDecodeError:
        return False


def differs_in(rows: pd.DataFrame, kept: pd.DataFrame) -> pd.Series:
    """For rows aligned with the kept rows of their event_id: the content columns that differ,
    comma-separated ('' when the row is a plain duplicate). Nulls equal nulls."""
    differ = np.zeros((len(rows), len(CONTENT_COLUMNS)), dtype=bool)
    for j, column in enumerate(CONTENT_COLUMNS):
        mine, theirs = rows[column].astype(object).to_numpy(), kept[column].astype(object).to_numpy()
        missing_here, missing_there = pd.isna(mine), pd.isna(theirs)
        same = missing_here & missing_there
        both = ~missing_here & ~missing_there
        same[both] = mine[both] == theirs[both]
        differ[:, j] = ~same
    out = pd.Series("", index=rows.index, dtype=object)
    for i in np.flatnonzero(differ.any(axis=1)):  # only the conflicting rows
        out.iloc[i] = ",".join(c for c, d in zip(CONTENT_COLUMNS, differ[i]) if d)
    return out


def drop_duplicates(events: pd.DataFrame, among: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Of the rows `among`, keep the first of rows sharing an event_id, or of identical rows
    without one. Returns (the rows dropped, as a mask of events; those rows), each repeat of an
    event_id saying in `differs_in` what differs from the kept row, and where that row came from
    (kept_source_file, kept_source_line). The rows of events are numbered by position (0, 1, ...)."""
    if not events.index.equals(pd.RangeIndex(len(events))):
        raise ValueError("drop_duplicates: the rows must be numbered 0, 1, ... in order")
    ids = events["event_id"][among]
    # Only rows without an id, or with one that repeats, can be repeats: DuckDB counts the ids
    # (4x faster than pandas' hash of a large day's ids; an in-memory database, not the
    # warehouse), and the rest of the work is on those rows alone.
    with duckdb.connect() as con:
        con.register("day_ids", ids.to_frame())
        repeated = con.execute("select event_id from day_ids where event_id is not null "
                               "group by event_id having count(*) > 1").df()["event_id"]
    candidates = ids.index[(ids.isna() | ids.isin(repeated)).to_numpy(dtype=bool)]
    rows = events if len(candidates) == len(events) else events.loc[candidates]  # a log without ids: every row
    has_id = rows["event_id"].notna()
    by_id = has_id & rows.duplicated(subset=["event_id"])
    # Whole rows are compared only where there is no id (hashing every column of every row
    # was a fifth of a large day's load).
    same_row = pd.Series(False, index=rows.index)
    same_row[~has_id] = rows.loc[~has_id].duplicated(subset=list(CANONICAL_COLUMNS))
    kept = rows.loc[~(by_id | same_row)]
    repeats = rows.loc[by_id].copy()
    first = kept.loc[kept["event_id"].isin(repeats["event_id"])].set_index("event_id").reindex(repeats["event_id"])
    first.index = repeats.index
    repeats["differs_in"] = differs_in(repeats, first)
    repeats["kept_source_file"], repeats["kept_source_line"] = first["source_file"], first["source_line"]
    identical = rows.loc[same_row].assign(differs_in="")
    repeats = pd.concat([repeats, identical]) if len(identical) else repeats
    return events.index.isin(repeats.index), repeats


def _raw_content(rows: pd.DataFrame) -> list[str]:
    """The row as it was in the file (JSON and wrong-width CSV rows keep their text; other CSV
    and Parquet rows become JSON)."""
    source = rows.drop(columns=[c for c in ("source_file", "source_line", "_parse_error", "raw_content")
                                if c in rows.columns])
    source = source.astype(object).where(source.notna(), None)
    as_json = [json.dumps(r, ensure_ascii=False) for r in source.to_dict(orient="records")]
    if "raw_content" not in rows.columns:
        return as_json
    kept = rows["raw_content"].tolist()
    return [text if isinstance(text, str) else fallback for text, fallback in zip(kept, as_json)]
