"""Load one landing day into the warehouse, replacing whatever that day held before."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.raw.contract import CANONICAL_COLUMNS, EVENTS_DDL
from pipeline.raw.mapping import Mapping
from pipeline.raw.read import landing_files, read_landing_file
from pipeline.raw.validate import check_structure, drop_duplicates, validate

_COLUMNS = ", ".join(CANONICAL_COLUMNS)


@dataclass(frozen=True)
class DayLoad:
    day: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    duplicates_dropped: int
    rows_suppressed: int = 0  # rows of users who asked to be deleted (pipeline/privacy/)


def prepare_day(landing_dir: Path, day: str, mapping: Mapping) -> tuple[pd.DataFrame, pd.DataFrame, DayLoad]:
    """Read and validate every file of a day (pure: touches no database)."""
    events, rejected, rows_read = [], [], 0
    files = landing_files(landing_dir, day)
    for path in files:
        frame = read_landing_file(path)
        check_structure(frame, mapping, str(path))
        rows_read += len(frame)
        result = validate(frame, mapping)
        events.append(result.events)
        rejected.append(result.rejected)
    good = pd.concat(events, ignore_index=True) if events else _empty(list(CANONICAL_COLUMNS) + ["source_file", "source_line"])
    bad = pd.concat(rejected, ignore_index=True) if rejected else _empty(["source_file", "source_line", "raw_content", "reason"])
    good, duplicates = drop_duplicates(good)
    stats = DayLoad(day, len(files), rows_read, len(good), len(bad), duplicates)
    assert stats.rows_read == stats.rows_loaded + stats.rows_rejected + stats.duplicates_dropped
    return good, bad, stats


def write_day(con: duckdb.DuckDBPyConnection, good: pd.DataFrame, bad: pd.DataFrame, stats: DayLoad) -> None:
    """Replace the day in one transaction, so a reader never sees half a day."""
    day = date.fromisoformat(stats.day)
    con.execute(EVENTS_DDL)
    con.execute("begin transaction")
    for table in ("raw.events", "raw.events_rejected", "raw.event_loads"):
        con.execute(f"delete from {table} where landing_date = ?", [day])
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
    con.execute(
        "insert into raw.event_loads values (?, ?, ?, ?, ?, ?, now(), ?)",
        [day, stats.files, stats.rows_read, stats.rows_loaded, stats.rows_rejected, stats.duplicates_dropped,
         stats.rows_suppressed],
    )
    con.execute("commit")
    con.unregister("good_rows")
    con.unregister("bad_rows")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
