"""Publish BI tables to a separate DuckDB file and Parquet, atomically.

BI tools never open the working database: DuckDB's file lock would block the pipeline (or
the reader). Each table is written to a temporary file that is then renamed over the old
one, so a reader sees the previous complete version or the new one, never half a table,
and a reader holding the old file open keeps reading it undisturbed.
"""

import os
from pathlib import Path

import duckdb


def publish(con: duckdb.DuckDBPyConnection, tables: dict[str, str], serving_db: Path, parquet_dir: Path) -> dict[str, int]:
    """Copy each `name: select ...` into serving_db and parquet_dir/name.parquet; return row counts."""
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir.mkdir(parents=True, exist_ok=True)
    staged_db = serving_db.with_name(serving_db.name + ".tmp")
    staged_db.unlink(missing_ok=True)
    con.execute(f"attach '{staged_db}' as staged")
    try:
        counts = {name: _stage_table(con, name, query, parquet_dir) for name, query in tables.items()}
    finally:
        con.execute("detach staged")
    os.replace(staged_db, serving_db)
    for name in tables:
        os.replace(parquet_dir / f"{name}.parquet.tmp", parquet_dir / f"{name}.parquet")
    return counts


def _stage_table(con: duckdb.DuckDBPyConnection, name: str, query: str, parquet_dir: Path) -> int:
    con.execute(f"create table staged.main.{name} as {query}")
    con.execute(f"copy staged.main.{name} to '{parquet_dir / f'{name}.parquet.tmp'}' (format parquet)")
    return con.execute(f"select count(*) from staged.main.{name}").fetchone()[0]
