"""Rewriting a DuckDB file whole, so that deleted rows leave no bytes behind.

DuckDB marks deleted rows and reuses their blocks later: until then their values stay in the
file (a deleted id is still found in the bytes of the warehouse after DELETE and CHECKPOINT).
A file written afresh holds only the rows that remain.
"""

import os
from pathlib import Path

import duckdb


def sql_path(path: Path) -> str:
    """A path as an SQL string literal (a folder may be named with an apostrophe)."""
    return "'" + str(path).replace("'", "''") + "'"


def attach_rewrite(con: duckdb.DuckDBPyConnection, path: Path, alias: str, new_alias: str) -> Path:
    """Attach `path` read-only as `alias` and a new empty file beside it as `new_alias`, written
    with the same storage version (a file meant for old BI clients stays readable by them)."""
    staged = path.with_name(path.name + ".rewriting")
    for leftover in (staged, staged.with_name(staged.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con.execute(f"attach {sql_path(path)} as {alias} (read_only)")
    version = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = ?", [alias]
    ).fetchone()[0]
    option = f" (storage_version '{version.rstrip('+')}')" if version else ""
    con.execute(f"attach {sql_path(staged)} as {new_alias}{option}")
    return staged


def compact(database: Path) -> None:
    """Replace the database file by a copy of its contents. Nobody may have it open."""
    wal = database.with_name(database.name + ".wal")
    if wal.exists():  # a write-ahead log would be replayed onto the new file: refuse
        raise RuntimeError(f"{wal} exists: {database} is open or was not closed cleanly; open and close it, then retry")
    with duckdb.connect() as con:
        staged = attach_rewrite(con, database, "worn", "fresh")
        con.execute("copy from database worn to fresh")
        con.execute("detach worn")
        con.execute("detach fresh")
    os.replace(staged, database)
