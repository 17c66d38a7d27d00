"""Load the optional subscriptions files into raw.subscriptions, replacing what was there.

A subscription service often has its spells as a table (user_id, start, end, plan, price)
rather than as subscription_start / subscription_end events; dbt's subscription_events()
reads both. Cells are read as text, so that a bad cell becomes a rejected row with its
reason instead of a failed load; only a file that cannot be read, or lacks a required
column, fails.
"""

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.privacy.loading import drop_suppressed_rows
from pipeline.privacy.suppression import Suppression
from pipeline.raw.contract import stored_id
from pipeline.raw.read import LandingFileError

REQUIRED_COLUMNS = ("user_id", "start")
OPTIONAL_COLUMNS = ("end", "plan", "price")  # missing ones are null
_READ = "read_csv($path, all_varchar = true, header = true, filename = true)"

_STAGING_DDL = """
create or replace temp table subscription_rows (
    user_id varchar, "start" varchar, "end" varchar, plan varchar, price varchar,
    source_file varchar, source_line integer
)
"""

# Every reason a row is rejected for, joined with "; " ('' when the row is good).
_CHECKED = """
with parsed as (
    select
        *,
        nullif(trim(user_id), '') as user_key,
        nullif(trim("start"), '') as start_text,
        nullif(trim("end"), '') as end_text,
        nullif(trim(price), '') as price_text,
        try_cast(trim("start") as date) as start_date,
        try_cast(trim("end") as date) as end_date,
        try_cast(trim(price) as double) as price_value
    from subscription_rows
)
select
    *,
    concat_ws('; ',
        case when user_key is null then 'user_id is missing' end,
        case when start_text is null then 'start is missing'
             when start_date is null then 'start is not a date' end,
        case when end_text is not null and end_date is null then 'end is not a date' end,
        case when end_date < start_date then 'end is before start' end,
        case when price_text is not null and (price_value is null or not isfinite(price_value) or price_value < 0)
             then 'price is not a finite non-negative number' end
    ) as reason
from parsed
"""


@dataclass(frozen=True)
class SubscriptionLoad:
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_suppressed: int = 0  # rows of users who asked to be deleted (pipeline/privacy/)


def subscription_files(landing_dir: Path) -> list[Path]:
    return sorted(Path(landing_dir).glob("*.csv"))  # none when the folder does not exist


def load_subscriptions(con: duckdb.DuckDBPyConnection, landing_dir: Path, suppression: Suppression | None = None) -> SubscriptionLoad:
    """Replace raw.subscriptions and raw.subscriptions_rejected with the rows of every file.

    Without any file both tables still exist, empty: dbt reads them whatever the churn
    definition.
    """
    files = subscription_files(landing_dir)
    con.execute(_STAGING_DDL)
    try:
        for path in files:
            _stage(con, path)
        # Suppressed before and after: a list written before ids were normalized holds them as given.
        suppressed = drop_suppressed_rows(con, "subscription_rows", suppression)
        _store_ids_as_events_do(con)
        suppressed += drop_suppressed_rows(con, "subscription_rows", suppression)
        con.execute("create schema if not exists raw")
        # One transaction, so that a reader sees the old tables or the new ones, never a mix.
        con.execute("begin transaction")
        try:
            con.execute(f"""
                create or replace table raw.subscriptions as
                select user_key as user_id, start_date, end_date, nullif(trim(plan), '') as plan,
                       price_value as price, source_file, source_line
                from ({_CHECKED}) where reason = '' order by source_file, source_line
            """)
            con.execute(f"""
                create or replace table raw.subscriptions_rejected as
                select user_id, "start", "end", plan, price, source_file, source_line, reason
                from ({_CHECKED}) where reason <> '' order by source_file, source_line
            """)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        rows_read = _count(con, "subscription_rows") + suppressed
    finally:
        con.execute("drop table if exists subscription_rows")
    load = SubscriptionLoad(len(files), rows_read, _count(con, "raw.subscriptions"),
                            _count(con, "raw.subscriptions_rejected"), suppressed)
    assert load.rows_read == load.rows_loaded + load.rows_rejected + load.rows_suppressed
    return load


def _store_ids_as_events_do(con: duckdb.DuckDBPyConnection) -> None:
    """User ids as the event loader stores them (NFKC, trimmed of any whitespace: "ｕ６" and
    "u6<tab>" are u6), before the checks: DuckDB has neither NFKC nor a trim of every kind of
    whitespace, so the few ids that are not ASCII or that start or end with a control
    character go through Python."""
    found = [row[0] for row in con.execute(
        "select distinct user_id from subscription_rows "
        "where not regexp_full_match(user_id, '[\\x00-\\x7F]*') or regexp_matches(user_id, '^[\\x00-\\x20]|[\\x00-\\x20]$')"
    ).fetchall()]
    changed = {value: stored for value in found if (stored := stored_id(value)) != value}
    if changed:
        con.register("stored_ids", pd.DataFrame({"found": list(changed), "stored": list(changed.values())}))
        try:
            con.execute("update subscription_rows set user_id = stored_ids.stored from stored_ids "
                        "where subscription_rows.user_id = stored_ids.found")
        finally:
            con.unregister("stored_ids")


def _stage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Append one file's rows, as text, with their file and line (line 1 is the header)."""
    params = {"path": str(path)}
    try:
        found = [d[0] for d in con.execute(f"select * from {_READ} limit 0", params).description]
        found.remove("filename")
        missing = [c for c in REQUIRED_COLUMNS if c not in found]
        if missing:
            raise LandingFileError(
                f"{path}: required column(s) {', '.join(missing)} missing; columns found: {found}"
            )
        picked = ", ".join(f'"{c}"' if c in found else "null" for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        # row_number() over () follows the file's order (DuckDB preserves insertion order).
        con.execute(
            f"insert into subscription_rows select {picked}, filename, row_number() over () + 1 from {_READ}", params
        )
    except duckdb.Error as err:
        raise LandingFileError(f"{path}: cannot be read as CSV: {err}") from err


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]
