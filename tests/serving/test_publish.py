"""The serving publish on tiny tables in an in-memory DuckDB: one version at a time, whatever
step a kill lands on, and the next publish cleans up after it."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipeline.serving.publish import (DB_FILE, LOCK_FILE, STORAGE_VERSION, TableDoc, current_version, publish,
                                      read_manifest, versions_dir)

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLES = ("users", "scores", "loads")
DOCS = {"users": TableDoc("One row per user.", {"version": "Which publish wrote the row.", "i": "A row number."})}


def tables(version: int) -> dict[str, str]:
    """Every row of every table says which publish wrote it."""
    return {name: f"select {version} as version, range as i from range({n})" for n, name in enumerate(TABLES, 1)}


def do_publish(data: Path, version: int) -> dict[str, int]:
    with duckdb.connect() as con:
        return publish(con, tables(version), data / "serving.duckdb", data / "serving", DOCS)


def published_versions(data: Path) -> set[int]:
    """The versions a BI tool sees through the stable paths: the database and each Parquet file."""
    with duckdb.connect(str(data / "serving.duckdb"), read_only=True) as con:
        seen = {con.execute(f"select distinct version from {name}").fetchall()[0][0] for name in TABLES}
    with duckdb.connect() as con:
        seen |= {con.execute(f"select distinct version from '{data / 'serving' / name}.parquet'").fetchall()[0][0]
                 for name in TABLES}
    return seen


def leftovers(data: Path) -> list[str]:
    """What a killed publish may leave: staged links, WAL files, unfinished version folders."""
    versions = versions_dir(data / "serving")
    found = [p.name for p in data.iterdir() if p.name.endswith((".new", ".tmp", ".wal"))]
    found += [str(p.relative_to(data)) for p in versions.rglob("*") if p.name.endswith((".new", ".tmp", ".wal"))]
    found += [p.name for p in versions.iterdir() if p.is_dir() and not (p / "manifest.json").exists()]
    return found


def test_a_publish_is_one_version_behind_the_stable_paths(tmp_path):
    counts = do_publish(tmp_path, 1)
    do_publish(tmp_path, 2)
    assert counts == {"users": 1, "scores": 2, "loads": 3}
    assert published_versions(tmp_path) == {2}
    # The stable paths are links through the one `serving` link, which names the version.
    assert os.readlink(tmp_path / "serving.duckdb") == f"serving/{DB_FILE}"
    folder = versions_dir(tmp_path / "serving") / current_version(tmp_path / "serving")
    manifest = read_manifest(folder)
    assert manifest["database"] == DB_FILE and manifest["storage_version"] == STORAGE_VERSION
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == counts
    assert all((folder / t["parquet"]).is_file() for t in manifest["tables"].values())
    # Documented tables carry their comments in both formats.
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select comment from duckdb_tables() where table_name = 'users'").fetchone()[0] == "One row per user."
        assert dict(con.execute("select column_name, comment from duckdb_columns() where table_name = 'users'").fetchall()) == DOCS["users"].columns
    with duckdb.connect() as con:
        kv = dict(con.execute(f"select decode(key), decode(value) from parquet_kv_metadata('{tmp_path}/serving/users.parquet')").fetchall())
    assert kv["description"] == "One row per user." and kv["column:i"] == "A row number."


# Where a publish gets killed: (function, before or after it, which call). The setup has two
# versions published, so the final sweep has an old one to delete.
KILL_POINTS = [
    ("_sweep", "after", 1),  # swept, nothing new yet
    ("_write_table", "after", 1),  # one table in the new database and Parquet, the rest missing
    ("_write_tables", "after", 1),  # every file written, no manifest
    ("_write_manifest", "after", 1),  # complete, not switched
    ("os.replace", "before", 1),  # the new link staged beside the old one
    ("os.replace", "after", 1),  # switched, folder entry not yet synced
    ("shutil.rmtree", "after", 1),  # switched, the oldest version half swept
]

KILLED_PUBLISH = textwrap.dedent("""
    import json, os, shutil, signal, sys
    from pathlib import Path
    import duckdb
    import pipeline.serving.publish as publish_module

    target, when, nth, data, tables = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), json.loads(sys.argv[5])
    owner_name, _, name = target.rpartition(".")
    owner = {"": publish_module, "os": os, "shutil": shutil}[owner_name]
    real, calls = getattr(owner, name), 0

    def kill_at_step(*args, **kwargs):
        global calls
        calls += 1
        if calls == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, kill_at_step)
    publish_module.publish(duckdb.connect(), tables, data / "serving.duckdb", data / "serving")
""")


@pytest.mark.parametrize(("step", "when", "nth"), KILL_POINTS, ids=[f"{w}-{s}-{n}" for s, w, n in KILL_POINTS])
def test_a_kill_at_any_step_leaves_the_old_or_the_new_version_and_the_next_publish_sweeps(tmp_path, step, when, nth):
    do_publish(tmp_path, 1)
    do_publish(tmp_path, 2)
    killed = subprocess.run([sys.executable, "-c", KILLED_PUBLISH, step, when, str(nth), str(tmp_path), json.dumps(tables(3))],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr  # killed where chosen, not failed elsewhere

    seen = published_versions(tmp_path)
    assert seen in ({2}, {3}), f"a kill {when} {step} left a mix of versions: {seen}"
    visible = current_version(tmp_path / "serving")

    do_publish(tmp_path, 4)
    assert published_versions(tmp_path) == {4}
    assert leftovers(tmp_path) == []
    versions = versions_dir(tmp_path / "serving")
    kept = sorted(p.name for p in versions.iterdir() if p.name != LOCK_FILE)
    current = current_version(tmp_path / "serving")
    assert kept == sorted([visible, current])  # the current and the previous version, nothing else
    assert read_manifest(versions / current)["previous"] == visible


def test_an_unversioned_serving_folder_becomes_the_previous_version(tmp_path):
    """A data folder published before versioning: serving.duckdb a plain file, Parquet files in
    serving/, and the .tmp files of a publish killed midway."""
    old = tmp_path / "old"
    do_publish(old, 1)
    (tmp_path / "serving").mkdir()
    for name in TABLES:
        (old / "serving" / f"{name}.parquet").rename(tmp_path / "serving" / f"{name}.parquet")
    (old / "serving" / DB_FILE).rename(tmp_path / "serving.duckdb")
    (tmp_path / "serving" / "users.parquet.tmp").write_text("killed midway")
    (tmp_path / "serving.duckdb.tmp").write_text("killed midway")
    assert not (tmp_path / "serving").is_symlink() and published_versions(tmp_path) == {1}

    do_publish(tmp_path, 2)
    assert published_versions(tmp_path) == {2}
    assert (tmp_path / "serving").is_symlink() and (tmp_path / "serving.duckdb").is_symlink()
    assert leftovers(tmp_path) == []
    previous = read_manifest(versions_dir(tmp_path / "serving") / current_version(tmp_path / "serving"))["previous"]
    assert previous.endswith("-unversioned")
    assert sorted(p.name for p in (versions_dir(tmp_path / "serving") / previous).iterdir()) == sorted(
        [DB_FILE, "manifest.json", *(f"{name}.parquet" for name in TABLES)])


def test_a_reader_holding_the_old_file_keeps_reading_after_its_version_is_swept(tmp_path):
    do_publish(tmp_path, 1)
    first = current_version(tmp_path / "serving")
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb
        with duckdb.connect({str(tmp_path / 'serving.duckdb')!r}, read_only=True) as con:
            print(con.execute("select max(version), count(*) from loads").fetchone(), flush=True)
            input()  # the publishes happen here
            print(con.execute("select max(version), count(*) from loads").fetchone(), flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    before = reader.stdout.readline().strip()
    for version in (2, 3):
        do_publish(tmp_path, version)
    assert not (versions_dir(tmp_path / "serving") / first).exists()  # swept while open
    after, _ = reader.communicate("\n", timeout=60)
    assert reader.returncode == 0
    assert before == after.strip() == "(1, 3)"
    assert published_versions(tmp_path) == {3}


def test_a_failing_table_names_itself_and_leaves_the_previous_version(tmp_path):
    do_publish(tmp_path, 1)
    broken = {**tables(2), "scores": "select 2 as version, missing_column from range(2)"}
    with duckdb.connect() as con, pytest.raises(duckdb.Error) as failure:
        publish(con, broken, tmp_path / "serving.duckdb", tmp_path / "serving")
    assert "'scores'" in "\n".join(failure.value.__notes__)
    assert published_versions(tmp_path) == {1}
    do_publish(tmp_path, 3)
    assert published_versions(tmp_path) == {3} and leftovers(tmp_path) == []
