"""Publish the BI tables as one version: a DuckDB file and one Parquet file per table.

BI tools never open the working database: DuckDB's file lock would block the pipeline (or
the reader). Each publish writes a complete new version folder, then switches one pointer:

    serving.versions/<id>/   serving.duckdb, <table>.parquet, manifest.json (one folder per publish)
    serving                  -> serving.versions/<id>   the pointer, a symlink replaced by one rename(2)
    serving.duckdb           -> serving/serving.duckdb  a fixed link, so BI tools keep their path

Why a symlinked folder: rename(2) is the only atomic step POSIX offers, and it moves one
name. Every path a BI tool uses (serving.duckdb, serving/<table>.parquet) resolves through the
one `serving` link, so whenever a file is opened it belongs to the previous complete version
or to the new one, never a mix; a kill at any step leaves the old pointer or the new one. A
reader holding a file open keeps reading it after the switch, even once its folder is swept
(POSIX keeps an unlinked file alive while it is open). The next publish sweeps what a killed
one left behind and keeps the current and the previous version.
"""

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import duckdb

DB_FILE = "serving.duckdb"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".lock"
# Every DuckDB 1.x (the 1.4 LTS line, the CLI, Node clients, BI drivers) reads storage version
# v1.0.0; DuckDB 2.x writes a format 1.x cannot open unless told to write this one.
STORAGE_VERSION = "v1.0.0"


class TableDoc(NamedTuple):
    """What a table and its columns mean: COMMENT ON in the DuckDB file, key-value metadata in Parquet."""

    description: str
    columns: dict[str, str]


def publish(con: duckdb.DuckDBPyConnection, tables: dict[str, str], serving_db: Path, serving_dir: Path,
            docs: dict[str, TableDoc] | None = None) -> dict[str, int]:
    """Copy each `name: select ...` into a new version and switch serving_dir to it; return row counts."""
    versions = versions_dir(serving_dir)
    versions.mkdir(parents=True, exist_ok=True)
    with _locked(versions / LOCK_FILE):
        _adopt_unversioned_layout(serving_db, serving_dir, versions)
        _sweep(serving_dir, versions)
        previous = current_version(serving_dir)
        folder = versions / _new_version_id()
        folder.mkdir()
        counts = _write_tables(con, folder, tables, docs or {})
        _write_manifest(folder, previous, counts)
        _fsync_folder(folder)
        _switch(serving_dir, folder)
        _sweep(serving_dir, versions)
    return counts


def versions_dir(serving_dir: Path) -> Path:
    return serving_dir.with_name(serving_dir.name + ".versions")


def current_version(serving_dir: Path) -> str | None:
    return Path(os.readlink(serving_dir)).name if serving_dir.is_symlink() else None


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_FILE).read_text())


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Two publishes at once would sweep each other's half-built folder: the second waits."""
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _new_version_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _adopt_unversioned_layout(serving_db: Path, serving_dir: Path, versions: Path) -> None:
    """Bring a data folder from before versioning (or a fresh one) to the layout above.

    An old serving.duckdb file and serving/ folder become one version: the database is
    hard-linked into the folder first, so the fixed link shows the same file. A plain folder
    cannot be renamed over by a link, so for this one-time move the folder is renamed into
    serving.versions/ and the link created right after (a reader opening a file in that
    instant gets "not found"; a kill there leaves no serving file, which `make run` republishes)."""
    serving_db.with_name(serving_db.name + ".tmp").unlink(missing_ok=True)  # from the unversioned publish
    serving_db.with_name(serving_db.name + ".new").unlink(missing_ok=True)  # a link staged by a killed publish
    unversioned_db = serving_db.is_file() and not serving_db.is_symlink()
    if unversioned_db and not serving_dir.is_symlink():
        serving_dir.mkdir(exist_ok=True)
    if serving_dir.is_dir() and not serving_dir.is_symlink():
        for leftover in serving_dir.glob("*.tmp"):
            leftover.unlink()
        if unversioned_db and not (serving_dir / DB_FILE).exists():
            os.link(serving_db, serving_dir / DB_FILE)
        _replace_with_link(serving_db, serving_dir / DB_FILE)
        adopted = versions / f"{_new_version_id()}-unversioned"
        (serving_dir / MANIFEST_FILE).write_text(json.dumps({
            "version": adopted.name, "previous": None, "database": DB_FILE, "adopted": "published before versioning",
            "tables": {p.stem: {"parquet": p.name} for p in sorted(serving_dir.glob("*.parquet"))}}, indent=2) + "\n")
        os.rename(serving_dir, adopted)
        _switch(serving_dir, adopted)
    if not serving_db.is_symlink():
        _replace_with_link(serving_db, serving_dir / DB_FILE)


def _sweep(serving_dir: Path, versions: Path) -> None:
    """Remove what is neither the current nor the previous version: folders of killed
    publishes, older versions, a link left half-switched."""
    serving_dir.with_name(serving_dir.name + ".new").unlink(missing_ok=True)
    current = current_version(serving_dir)
    keep = {LOCK_FILE, current}
    if current and (versions / current / MANIFEST_FILE).exists():
        keep.add(read_manifest(versions / current)["previous"])
    for entry in versions.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def _write_tables(con: duckdb.DuckDBPyConnection, folder: Path, tables: dict[str, str], docs: dict[str, TableDoc]) -> dict[str, int]:
    con.execute(f"attach {_literal(folder / DB_FILE)} as staged (storage_version '{STORAGE_VERSION}')")
    try:
        return {name: _write_table(con, folder, name, query, docs.get(name)) for name, query in tables.items()}
    finally:
        con.execute("detach staged")  # checkpoints: the file is complete on disk


def _write_table(con: duckdb.DuckDBPyConnection, folder: Path, name: str, query: str, doc: TableDoc | None) -> int:
    try:
        con.execute(f'create table staged.main."{name}" as {query}')
    except duckdb.Error as error:
        error.add_note(f"while publishing the serving table {name!r}: the previous version stays published")
        raise
    columns = [r[0] for r in con.execute("select column_name from duckdb_columns() where database_name = 'staged' "
                                         "and table_name = ? order by column_index", [name]).fetchall()]
    comments = _comment(con, name, columns, doc) if doc else {}
    metadata = f", kv_metadata {_struct(comments)}" if comments else ""
    con.execute(f'copy staged.main."{name}" to {_literal(folder / f"{name}.parquet")} (format parquet{metadata})')
    return con.execute(f'select count(*) from staged.main."{name}"').fetchone()[0]


def _comment(con: duckdb.DuckDBPyConnection, name: str, columns: list[str], doc: TableDoc) -> dict[str, str]:
    """COMMENT ON the table and each documented column; returns the same as Parquet metadata."""
    con.execute(f'comment on table staged.main."{name}" is {_literal(doc.description)}')
    comments = {"description": doc.description}
    for column in columns:
        if text := doc.columns.get(column):
            con.execute(f'comment on column staged.main."{name}"."{column}" is {_literal(text)}')
            comments[f"column:{column}"] = text
    return comments


def _write_manifest(folder: Path, previous: str | None, counts: dict[str, int]) -> None:
    """The last file written: a version folder without it is a killed publish."""
    (folder / MANIFEST_FILE).write_text(json.dumps({
        "version": folder.name, "previous": previous,
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": DB_FILE, "storage_version": STORAGE_VERSION,
        "tables": {name: {"rows": rows, "parquet": f"{name}.parquet"} for name, rows in counts.items()},
    }, indent=2) + "\n")


def _fsync_folder(folder: Path) -> None:
    """On disk before the switch, so a power cut cannot leave the pointer on empty files."""
    for path in [*folder.iterdir(), folder]:
        _fsync(path)


def _switch(pointer: Path, folder: Path) -> None:
    """The commit: one rename of a new link over the old one."""
    _replace_with_link(pointer, folder)
    _fsync(pointer.parent)


def _replace_with_link(path: Path, target: Path) -> None:
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    staged.symlink_to(os.path.relpath(target, path.parent))  # relative: the data folder can move
    os.replace(staged, path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _literal(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _struct(pairs: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in pairs.items()) + "}"
