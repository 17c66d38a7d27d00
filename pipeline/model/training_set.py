"""Reads of main.churn_training_set, a view joining ten feature tables and the labels.

A filter on a literal date reaches every table the view joins; a `max(as_of_date)` subquery
does not, and made each read join every date of every table (15 s instead of 2 s for the
latest date of 100 k users). So the dates come first, from the labels (the view's rows are the
label rows that have features), and the reads filter on them.
"""

import datetime as dt
from collections.abc import Callable

import duckdb
import pandas as pd

VIEW = "main.churn_training_set"
SAMPLE_VARIABLE = "churn_training_sample"  # users kept per million (dbt macro training_sample)
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}  # of current_setting('memory_limit')


# The view's dates: label rows that have features.
_DATES = "from main.churn_labels where as_of_date in (select distinct as_of_date from main.user_features)"


def latest_date(con, mature: bool = False) -> dt.date | None:
    """The latest observation date of the training set (with a mature label, if asked)."""
    return con.execute(f"select max(as_of_date) {_DATES}{' and label_mature' if mature else ''}").fetchone()[0]


def observation_dates(con) -> list[dt.date]:
    return [row[0] for row in con.execute(f"select distinct as_of_date {_DATES} order by 1").fetchall()]


def labelled_window(con, days: int) -> list[dt.date | None]:
    """[first, last] date of the `days` before the latest date with a mature label (both None
    when no label has matured): the recent users whose outcome is known."""
    last = latest_date(con, mature=True)
    return [last and last - dt.timedelta(days=days), last]


def rows_on(con, day: dt.date | None, order_by_user: bool = False):
    """Every user's row on one date (none when `day` is None), as pandas."""
    rows = con.execute(f"select * from {VIEW} where as_of_date = ?", [day]).df()
    # Sorted by pandas: DuckDB's sort of every column of a million users peaked 0.7 GB higher.
    return rows.sort_values("user_id", ignore_index=True) if order_by_user else rows


def columns_with_values(con, names: list[str], day: dt.date | None) -> list[str]:
    """Of `names`, the view's columns with at least one value on `day`, in the order given:
    counted by DuckDB, not read into pandas (a million users' rows of 150 columns)."""
    present = set(_view_columns(con))
    names = [name for name in names if name in present]
    if not names:
        return []
    counts = ", ".join('count("{}")'.format(name.replace('"', '""')) for name in names)
    values = con.execute(f"select {counts} from {VIEW} where as_of_date = ?", [day]).fetchone()
    return [name for name, count in zip(names, values) if count]


def rows_where(con, where: str = "true", params=(), max_rows: int | None = None) -> tuple[pd.DataFrame, float]:
    """The view's rows matching `where` (a condition on the label columns: as_of_date,
    label_mature, churned), and the share of users they come from. Past `max_rows`, a fixed share
    of users is read with all their dates: a hash of user_id picks the same users on every read,
    so memory stays bounded at any number of users (a million users are 27 M training rows)."""
    matched = con.execute(f"select count(*) {_DATES} and ({where})", params).fetchone()[0]
    share = 1.0 if not max_rows or matched <= max_rows else max_rows / matched
    frame_bytes = matched * share * len(_view_columns(con)) * 8
    if share == 1.0:
        rows = _read_frame(con, frame_bytes, lambda: con.execute(f"select * from {VIEW} where ({where})", params).df())
        return rows, share
    per_million = round(share * 1_000_000)
    # The view keeps only these users in every table it joins while the variable is set (macro
    # training_sample): the filter below alone reaches user_features, not the joined tables,
    # and such a read of a million users peaked at 8.6 GB. The filter stays for a view without
    # the variable (the Spark engine's, over Parquet). On a cursor of its own: a variable
    # belongs to its connection, so it never outlives the read.
    with con.cursor() as sampled:
        sampled.execute(f"set variable {SAMPLE_VARIABLE} = {per_million}")
        rows = _read_frame(con, frame_bytes, lambda: sampled.execute(
            f"select * from {VIEW} where ({where}) and hash(user_id) % 1000000 < {per_million}", params).df())
    return rows, share


def _view_columns(con) -> list[str]:
    return [row[0] for row in con.execute(f"describe {VIEW}").fetchall()]


def _read_frame(con, frame_bytes: float, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """read(), with DuckDB's memory limit lowered by the pandas frame it fills (by at most half),
    then restored. DuckDB keeps the tables it scans in memory up to its limit, and the frame
    comes on top: the training read of a million users (2 M rows, a 2.1 GB frame) peaked at
    8.8 GB under a 6 GB limit, and at 6.5 GB under 3.5 GB in the same time. If DuckDB runs out
    of memory under the lowered limit, read() runs again under the whole one. The limit belongs
    to the database, so this is for a step's own reads (each Dagster step is its own process);
    it comes back as DuckDB shows it, rounded down to a tenth of its unit (5.5 GiB for 6GB)."""
    setting = con.execute("select current_setting('memory_limit')").fetchone()[0]
    value, _, unit = setting.partition(" ")
    if unit not in _UNITS:  # no limit set, or one DuckDB writes otherwise: left as it is
        return read()
    limit = float(value) * _UNITS[unit]
    con.execute(f"set memory_limit = '{int(max(limit - frame_bytes, limit / 2))}B'")
    try:
        return read()
    except duckdb.OutOfMemoryException:
        pass
    finally:
        con.execute(f"set memory_limit = '{setting}'")
    return read()
