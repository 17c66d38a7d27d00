"""Landing files for the worlds whose export is not the shop's contract.

demo/landing.py's writer expects the shop's columns (event_time third, an amount column to
spoil); these exports have their own columns, so this writer finds them by name. It writes
times as ISO 8601 with a Z, as such exports usually do, and injects the same kind of dirt
(duplicates; rows without a user, with an unparseable time or, where there is an amount, a
non-numeric one), by default none: the demo's point here is the mapping, not the validation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from demo.landing import _BAD_AMOUNTS, _BAD_TIMES, _copies, _rows, _span


def write_events(events: pd.DataFrame, out_dir: Path, bad_row_rate: float, rng) -> int:
    """One events.csv per UTC day under landing/events/date=YYYY-MM-DD/; returns rows written.
    Each file: the day's clean rows in time order, then its duplicates, then its bad rows."""
    table = pa.Table.from_pandas(events, preserve_index=False)
    i = table.column_names.index("event_time")
    iso = pc.strftime(table["event_time"], "%Y-%m-%dT%H:%M:%SZ")
    table = table.set_column(i, "event_time", iso)
    day = events["event_time"].to_numpy().astype("datetime64[D]")
    dups, dup_day = _copies(table, day, bad_row_rate / 2, rng)
    bad, bad_day = _copies(table, day, bad_row_rate, rng)
    bad = _spoil(pa.table({c: pc.cast(bad[c], pa.string()) for c in bad.column_names}), rng)
    header = (",".join(table.column_names) + "\n").encode()
    for d in np.unique(day):
        folder = Path(out_dir) / "landing" / "events" / f"date={d}"
        folder.mkdir(parents=True, exist_ok=True)
        parts = [_rows(t.slice(*_span(days, d))) for t, days in
                 ((table, day), (dups, dup_day), (bad, bad_day))]  # fmt: skip
        (folder / "events.csv").write_bytes(header + b"".join(parts))
    return len(day) + len(dup_day) + len(bad_day)


def _spoil(bad: pa.Table, rng) -> pa.Table:
    """Spoil one field per row: no user_id, an unparseable time or a non-numeric amount
    (without an amount column, only the first two)."""
    spoilable = [("event_time", _BAD_TIMES)]
    if "amount" in bad.column_names:
        spoilable.append(("amount", _BAD_AMOUNTS))
    which = rng.integers(0, 1 + len(spoilable), bad.num_rows)
    i = bad.column_names.index("user_id")
    no_user = pc.if_else(pa.array(which == 0), pa.scalar(None, pa.string()), bad["user_id"])
    bad = bad.set_column(i, "user_id", no_user)
    for k, (col, junk) in enumerate(spoilable, 1):
        values = pa.array(np.array(junk)[rng.integers(0, len(junk), bad.num_rows)], pa.string())
        i = bad.column_names.index(col)
        bad = bad.set_column(i, col, pc.if_else(pa.array(which == k), values, bad[col]))
    return bad
