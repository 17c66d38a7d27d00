"""Writing the demo as landing files, with the dirt a real export has.

Bad rows and duplicates exist only in the files: they are what the pipeline's validation must
catch, so the in-memory DemoData stays clean for checking against.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

# What a spoiled copy of a row can carry instead of its time or amount.
_BAD_TIMES = ["not-a-time", "2024-02-30 25:61:00", "yesterday"]
_BAD_AMOUNTS = ["12,3x", "abc", "9.99.9"]


def clear(out_dir: Path) -> None:
    """Remove an earlier demo so a day folder never mixes two runs (only demo-owned folders)."""
    for sub in ("landing/events", "landing/users", "landing/subscriptions", "demo_truth"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)


def write_events(events: pd.DataFrame, out_dir: Path, bad_row_rate: float, rng,
                 time_format: str | None = None, file_name: str = "events.csv") -> int:
    """One `file_name` per UTC day under landing/events/date=YYYY-MM-DD/; returns rows written.

    Each file: the day's clean rows in time order, then its duplicates, then its bad rows.
    Strings are always quoted and numbers never, so a CSV sniffer that samples only the top
    of a file still picks up the quoting that the rare "12,3x" amounts rely on. Columns are
    found by name (the worlds' exports have their own); `time_format` (strftime) writes times
    as such an export would, by default as the contract's "YYYY-MM-DD HH:MM:SS".
    """
    table = pa.Table.from_pandas(events, preserve_index=False)
    times = table["event_time"]
    times = pc.cast(times, pa.string()) if time_format is None else pc.strftime(times, time_format)
    table = table.set_column(table.column_names.index("event_time"), "event_time", times)
    day = events["event_time"].to_numpy().astype("datetime64[D]")
    dups, dup_day = _copies(table, day, bad_row_rate / 2, rng)
    bad, bad_day = _copies(table, day, bad_row_rate, rng)
    bad = _spoil(pa.table({c: pc.cast(bad[c], pa.string()) for c in bad.column_names}), rng)
    header = (",".join(table.column_names) + "\n").encode()
    for d in np.unique(day):
        folder = out_dir / "landing" / "events" / f"date={d}"
        folder.mkdir(parents=True, exist_ok=True)
        parts = [_rows(t.slice(*_span(days, d))) for t, days in
                 ((table, day), (dups, dup_day), (bad, bad_day))]  # fmt: skip
        (folder / file_name).write_bytes(header + b"".join(parts))
    return len(day) + len(dup_day) + len(bad_day)


def _span(days: np.ndarray, d) -> tuple[int, int]:
    """(offset, length) of day d in a day-sorted array."""
    lo, hi = np.searchsorted(days, d, "left"), np.searchsorted(days, d, "right")
    return int(lo), int(hi - lo)


def _copies(table: pa.Table, day: np.ndarray, rate: float, rng) -> tuple[pa.Table, np.ndarray]:
    """A random `rate` share of rows, kept in time order."""
    src = np.sort(rng.choice(table.num_rows, round(rate * table.num_rows), replace=False))
    return table.take(pa.array(src, pa.int64())), day[src]


def _spoil(bad: pa.Table, rng) -> pa.Table:
    """Spoil one field per row: no user_id, an unparseable time or a non-numeric amount
    (without an amount column, only the first two)."""
    spoilable = [("event_time", _BAD_TIMES)] + ([("amount", _BAD_AMOUNTS)] if "amount" in bad.column_names else [])
    which = rng.integers(0, 1 + len(spoilable), bad.num_rows)
    no_user = pc.if_else(pa.array(which == 0), pa.scalar(None, pa.string()), bad["user_id"])
    bad = bad.set_column(bad.column_names.index("user_id"), "user_id", no_user)
    for k, (col, junk) in enumerate(spoilable, 1):
        values = pa.array(np.array(junk)[rng.integers(0, len(junk), bad.num_rows)], pa.string())
        i = bad.column_names.index(col)
        bad = bad.set_column(i, col, pc.if_else(pa.array(which == k), values, bad[col]))
    return bad


def _rows(table: pa.Table) -> bytes:
    """CSV rows without a header; pyarrow quotes every string and doubles inner quotes."""
    buf = io.BytesIO()
    pcsv.write_csv(table, buf, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


def write_table(frame: pd.DataFrame, path: Path, date_format: str) -> None:
    """Small tables (users, truth): pandas is plenty fast; missing dates become empty cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, date_format=date_format, lineterminator="\n")
