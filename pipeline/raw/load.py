"""Load one landing day into the warehouse, replacing whatever that day held before."""

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from pipeline.raw.contract import CANONICAL_COLUMNS, EVENTS_DDL
from pipeline.raw.mapping import Mapping
from pipeline.raw.read import LandingFileError, landing_files, read_landing_file
from pipeline.raw.validate import CONTENT_COLUMNS, EventWindow, check_structure, differs_in, drop_duplicates, validate

_COLUMNS = ", ".join(CANONICAL_COLUMNS)
_CONFLICT_COLUMNS = ["source_file", "source_line", "event_id", "user_id", "raw_content", "differs_in",
                     "kept_landing_date", "kept_source_file", "kept_source_line"]


@dataclasses.dataclass(frozen=True)
class DayLoad:
    day: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    duplicates_dropped: int  # every repeat of an event (plain or conflicting)
    conflicts: int = 0  # of the duplicates, those whose content differs (raw.event_conflicts)
    rows_suppressed: int = 0  # rows of users who asked to be deleted (pipeline/privacy/)


class PreparedDay(NamedTuple):
    events: pd.DataFrame
    rejected: pd.DataFrame
    conflicts: pd.DataFrame
    stats: DayLoad


def prepare_day(landing_dir: Path, day: str, mapping: Mapping, first_day: str | None = None,
                tolerance_days: int = 1) -> PreparedDay:
    """Read and validate every file of a day (touches no warehouse)."""
    window = EventWindow(pd.Timestamp(day), pd.Timestamp(first_day) if first_day else None, tolerance_days)
    validated, rows_read = [], 0
    files = landing_files(landing_dir, day)
    for path in files:
        frame = read_landing_file(path)
        if frame.empty:  # an empty file (or a header alone) has nothing to load and nothing to lose
            continue
        check_structure(frame, mapping, str(path))
        frame.index = pd.RangeIndex(rows_read, rows_read + len(frame))  # the day's row numbers
        rows_read += len(frame)
        try:
            validated.append(validate(frame, mapping, window))
        except (TypeError, ValueError, OverflowError, KeyError) as err:  # a bug or a case not foreseen
            raise LandingFileError(f"cannot validate landing file {path}: {type(err).__name__}: {err}") from err
    every = pd.concat([v.typed for v in validated]) if validated else _empty(list(CANONICAL_COLUMNS) + ["source_file", "source_line"])
    loadable = np.concatenate([v.loadable for v in validated]) if validated else np.zeros(0, dtype=bool)
    repeated, repeats = drop_duplicates(every, loadable)
    keep = loadable & ~repeated
    # Each file's rows are selected once, and only if some are left out: selecting copies every
    # cell, and from the day's concatenation it cost twice as much.
    kept = [(v.typed, keep[v.typed.index]) for v in validated]
    good = pd.concat([rows if mask.all() else rows.loc[mask] for rows, mask in kept], ignore_index=True) if kept else every
    rejected = [v.rejected for v in validated]
    bad = pd.concat(rejected, ignore_index=True) if rejected else _empty(["source_file", "source_line", "raw_content", "reason"])
    conflicts = _conflict_rows(repeats, kept_landing_date=day)
    stats = DayLoad(day, len(files), rows_read, len(good), len(bad), len(repeats), len(conflicts))
    assert stats.rows_read == stats.rows_loaded + stats.rows_rejected + stats.duplicates_dropped
    return PreparedDay(good, bad, conflicts, stats)


def write_day(con: duckdb.DuckDBPyConnection, prepared: PreparedDay) -> DayLoad:
    """Replace the day in one transaction, so a reader never sees half a day. An event_id that
    another day already holds stays there: this day's copy is a duplicate (or a conflict).
    Returns the day's counts after that check."""
    good, bad, conflicts, stats = prepared
    day = date.fromisoformat(stats.day)
    con.execute(EVENTS_DDL)
    con.execute("begin transaction")
    try:
        for table in ("raw.events", "raw.events_rejected", "raw.event_conflicts", "raw.event_loads"):
            con.execute(f"delete from {table} where landing_date = ?", [day])
        good, conflicts, stats = _drop_loaded_elsewhere(con, good, conflicts, stats)
        con.register("good_rows", good)
        con.execute(
            f"insert into raw.events ({_COLUMNS}, landing_date, source_file, source_line) "
            f"select {_COLUMNS}, ?, source_file, source_line from good_rows",
            [day],
        )
        con.register("bad_rows", bad)
        con.execute(
            "insert into raw.events_rejected select ?, source_file, source_line, raw_content, reason from bad_rows", [day]
        )
        con.register("conflict_rows", conflicts)
        con.execute(f"insert into raw.event_conflicts select ?, {', '.join(_CONFLICT_COLUMNS)} from conflict_rows", [day])
        con.execute(
            "insert into raw.event_loads (landing_date, files, rows_read, rows_loaded, rows_rejected, "
            "duplicates_dropped, conflicts, rows_suppressed, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [day, stats.files, stats.rows_read, stats.rows_loaded, stats.rows_rejected, stats.duplicates_dropped,
             stats.conflicts, stats.rows_suppressed],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in ("day_event_ids", "found_event_ids", "good_rows", "bad_rows", "conflict_rows"):
            con.unregister(name)
    return stats


def _drop_loaded_elsewhere(con, good: pd.DataFrame, conflicts: pd.DataFrame, stats: DayLoad):
    """First loaded wins: rows whose event_id another landing day holds become duplicates here
    (the day's own rows were deleted first, so re-running a day never counts it against itself)."""
    con.register("day_event_ids", good.loc[good["event_id"].notna(), ["event_id"]])
    # The ids first, whole rows only for those found: a probe of every column of the whole
    # history cost seconds per day at 100 k users, growing with the history.
    found = con.execute("select distinct event_id from raw.events "
                        "where event_id in (select event_id from day_event_ids)").df()
    if found.empty:
        return good, conflicts, stats
    con.register("found_event_ids", found)
    loaded = con.execute(
        f"select {_COLUMNS}, landing_date, source_file, source_line from raw.events "
        "where event_id in (select event_id from found_event_ids)"
    ).df()
    again = good["event_id"].isin(loaded["event_id"])
    repeats = good.loc[again].copy()
    kept = loaded.drop_duplicates("event_id").set_index("event_id").reindex(repeats["event_id"])
    kept.index = repeats.index
    repeats["differs_in"] = differs_in(repeats, kept)
    repeats["kept_source_file"], repeats["kept_source_line"] = kept["source_file"], kept["source_line"]
    more = _conflict_rows(repeats, kept_landing_date=kept["landing_date"])
    conflicts = pd.concat([conflicts, more], ignore_index=True) if len(more) else conflicts
    # Loaded rows become duplicates one for one: rows read still add up.
    stats = dataclasses.replace(stats, rows_loaded=stats.rows_loaded - len(repeats),
                                duplicates_dropped=stats.duplicates_dropped + len(repeats), conflicts=len(conflicts))
    return good.loc[~again], conflicts, stats


def _conflict_rows(repeats: pd.DataFrame, kept_landing_date) -> pd.DataFrame:
    """The repeats whose content differs, as rows of raw.event_conflicts (without landing_date)."""
    differ = repeats[repeats["differs_in"] != ""] if len(repeats) else repeats
    if differ.empty:
        return _empty(_CONFLICT_COLUMNS)
    content = differ[CONTENT_COLUMNS].astype(object).where(differ[CONTENT_COLUMNS].notna(), None)
    raw = [json.dumps({"event_id": e, **r}, ensure_ascii=False, default=str)
           for e, r in zip(differ["event_id"], content.to_dict(orient="records"))]
    kept_date = kept_landing_date[differ.index] if isinstance(kept_landing_date, pd.Series) else kept_landing_date
    out = differ[["source_file", "source_line", "event_id", "user_id", "differs_in", "kept_source_file",
                  "kept_source_line"]].copy()
    out["raw_content"] = raw
    out["kept_landing_date"] = pd.to_datetime(kept_date).dt.date.to_numpy() if isinstance(kept_date, pd.Series) else date.fromisoformat(kept_date)
    return out[_CONFLICT_COLUMNS].reset_index(drop=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
