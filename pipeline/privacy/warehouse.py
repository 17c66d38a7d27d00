"""Remove users from every table of the working database, and record the request."""

import getpass
import json
from datetime import datetime, timezone

import duckdb
import pandas as pd

from pipeline.privacy.suppression import Suppression

AUDIT_TABLE = "privacy.deletion_audit"
AUDIT_DDL = f"""
create schema if not exists privacy;
create table if not exists {AUDIT_TABLE} (
    requested_by varchar not null, applied_at timestamp not null, request_file varchar not null,
    request_digest varchar not null, users_requested integer not null, rows_deleted varchar not null
)
"""
# Rows of a rejected load keep the line as read; a user id is somewhere in it, not in a column.
REJECTED_TABLE = ("raw", "events_rejected")


def tables_with_user_ids(con: duckdb.DuckDBPyConnection, database: str | None = None) -> list[tuple[str, str]]:
    """(schema, table) of every base table with a user_id column: found, not listed, so that a
    table added later is covered. Views need nothing: they read these tables."""
    return con.execute(
        """
        select c.table_schema, c.table_name
        from information_schema.columns c
        join information_schema.tables t using (table_catalog, table_schema, table_name)
        where c.column_name = 'user_id' and t.table_type = 'BASE TABLE'
          and c.table_catalog = coalesce(?, current_database())
        order by all
        """,
        [database],
    ).fetchall()


def delete_users(con: duckdb.DuckDBPyConnection, user_ids: list[str], suppression: Suppression) -> dict[str, int]:
    """Delete the users' rows from every table (call inside a transaction); rows deleted per table.

    `suppression` holds the same users' hashes: it finds their rejected rows by content.
    """
    con.register("deleted_users", pd.DataFrame({"user_id": pd.Series(user_ids, dtype=object)}))
    try:
        counts = {
            f"{schema}.{table}": con.execute(
                f'delete from "{schema}"."{table}" where trim(cast(user_id as varchar)) in (select user_id from deleted_users)'
            ).fetchone()[0]
            for schema, table in tables_with_user_ids(con)
        }
    finally:
        con.unregister("deleted_users")
    if _exists(con, *REJECTED_TABLE):
        counts[".".join(REJECTED_TABLE)] = _delete_rejected(con, suppression)
    return counts


def _delete_rejected(con: duckdb.DuckDBPyConnection, suppression: Suppression) -> int:
    rows = con.execute("select rowid, raw_content from raw.events_rejected").fetchall()
    doomed = [rowid for rowid, content in rows if suppression.mentions_any(content)]
    if doomed:
        con.execute("delete from raw.events_rejected where rowid in (select unnest(?))", [doomed])
    return len(doomed)


def write_audit(con: duckdb.DuckDBPyConnection, requested_by: str | None, request_file: str, digest: str,
                users_requested: int, rows_deleted: dict[str, int]) -> None:
    """One row per request: who, when, which file, how many rows per table; no id, no deleted value."""
    con.execute(AUDIT_DDL)
    con.execute(
        f"insert into {AUDIT_TABLE} values (?, ?, ?, ?, ?, ?)",
        [requested_by or getpass.getuser(), datetime.now(timezone.utc).replace(tzinfo=None), request_file, digest,
         users_requested, json.dumps(rows_deleted, sort_keys=True)],
    )


def applied_digests(con: duckdb.DuckDBPyConnection) -> set[str]:
    if not _exists(con, "privacy", "deletion_audit"):
        return set()
    return {row[0] for row in con.execute(f"select request_digest from {AUDIT_TABLE}").fetchall()}


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ? "
        "and table_catalog = current_database()", [schema, table],
    ).fetchone()[0] > 0
