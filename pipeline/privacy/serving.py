"""Remove users from the published files: the serving database and every Parquet file.

Each file is rewritten to a new file and renamed over the old one, as publishing does: a BI
reader sees the old version or the new one, and the new file holds no trace of the deleted
rows (pipeline/privacy/files.py).
"""

import os
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.privacy.files import attach_rewrite, sql_path
from pipeline.privacy.warehouse import tables_with_user_ids
from pipeline.serving.publish import versions_dir

# Rows kept: those of other users (ids compared without surrounding blanks, as requested).
_KEPT = "user_id is null or trim(cast(user_id as varchar)) not in (select user_id from deleted_users)"


def erase_from_serving(serving_db: Path, parquet_dir: Path, user_ids: list[str]) -> dict[str, int]:
    """Rows deleted per published table ("serving:<table>") and Parquet file ("parquet:<file>").

    Every published version is rewritten, not only the current one: publishing keeps the
    previous version beside it (pipeline/serving/publish.py), and it must not keep the users.
    `serving_db` and `parquet_dir` are links into the current version: the files are rewritten
    where they really are, so the links stay links."""
    # Every version folder, and the current files wherever they resolve to (a copied data
    # folder may hold them as plain files); each file once.
    folders = [f for f in sorted(versions_dir(parquet_dir).glob("*")) if f.is_dir()] + [Path(parquet_dir)]
    databases = [f / serving_db.name for f in folders] + [Path(serving_db)]
    folders = list(dict.fromkeys(f.resolve() for f in folders if f.is_dir()))
    databases = list(dict.fromkeys(d.resolve() for d in databases if d.exists()))
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.register("deleted_users", pd.DataFrame({"user_id": pd.Series(user_ids, dtype=object)}))
        for database in databases:
            for key, deleted in _rewrite_database(con, database).items():
                counts[key] = counts.get(key, 0) + deleted
        for folder in folders:
            for path in sorted(folder.glob("*.parquet")):
                deleted = _rewrite_parquet(con, path)
                if deleted is not None:
                    counts[f"parquet:{path.name}"] = counts.get(f"parquet:{path.name}", 0) + deleted
    return counts


def _rewrite_database(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    staged = attach_rewrite(con, path, "published", "rewritten")
    try:
        con.execute("copy from database published to rewritten (schema)")  # tables, views, types; no rows
        with_ids = set(tables_with_user_ids(con, "published"))
        counts = {}
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'published' order by all"
        ).fetchall():
            name = f'"{schema}"."{table}"'
            keep = f" where {_KEPT}" if (schema, table) in with_ids else ""
            con.execute(f"insert into rewritten.{name} select * from published.{name}{keep}")
            if keep:
                before, after = (con.execute(f"select count(*) from {db}.{name}").fetchone()[0]
                                 for db in ("published", "rewritten"))
                counts[f"serving:{schema}.{table}"] = before - after
    finally:
        con.execute("detach published")
        con.execute("detach rewritten")
    os.replace(staged, path)
    return counts


def _rewrite_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """Rows deleted, or None for a file without a user_id column (left as it is)."""
    source = f"read_parquet({sql_path(path)})"
    if "user_id" not in [d[0] for d in con.execute(f"select * from {source} limit 0").description]:
        return None
    staged = path.with_name(path.name + ".rewriting")
    kept = f"select * from {source} where {_KEPT}"
    con.execute(f"copy ({kept}) to {sql_path(staged)} (format parquet)")
    before = con.execute(f"select count(*) from {source}").fetchone()[0]
    after = con.execute(f"select count(*) from read_parquet({sql_path(staged)})").fetchone()[0]
    os.replace(staged, path)
    return before - after
