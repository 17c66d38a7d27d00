"""The optional subscriptions files: typed rows, every rejection reason, structural errors,
no file at all, and the Dagster asset that loads them."""

import datetime as dt

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipeline.raw.read import LandingFileError
from pipeline.raw.subscriptions import load_subscriptions
from pipeline.raw.subscriptions_asset import raw_subscriptions
from pipeline.settings import DEFAULT_MAPPING_FILE, Settings

HEADER = "user_id,start,end,plan,price\n"


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


def land(tmp_path, name: str, content: str):
    folder = tmp_path / "landing" / "subscriptions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content, encoding="utf-8")
    return folder


def rows(con, table: str) -> list[dict]:
    result = con.execute(f"select * from {table} order by source_file, source_line")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def test_good_rows_are_typed_and_kept_with_their_origin(tmp_path, con):
    folder = land(tmp_path, "subs.csv", HEADER + " u1 ,2026-01-05,2026-02-05,basic,9.99\nu2,2026-01-10,,premium,\n")
    load = load_subscriptions(con, folder)
    assert (load.files, load.rows_read, load.rows_loaded, load.rows_rejected) == (1, 2, 2, 0)
    first, second = rows(con, "raw.subscriptions")
    assert first == {"user_id": "u1", "start_date": dt.date(2026, 1, 5), "end_date": dt.date(2026, 2, 5),
                     "plan": "basic", "price": 9.99, "source_file": str(folder / "subs.csv"), "source_line": 2}
    assert (second["end_date"], second["price"], second["source_line"]) == (None, None, 3)  # still running
    types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                             "where schema_name = 'raw' and table_name = 'subscriptions'").fetchall())
    assert types == {"user_id": "VARCHAR", "start_date": "DATE", "end_date": "DATE", "plan": "VARCHAR",
                     "price": "DOUBLE", "source_file": "VARCHAR", "source_line": "INTEGER"}


def test_user_ids_are_stored_as_the_event_loader_stores_them(tmp_path, con):
    folder = land(tmp_path, "subs.csv", HEADER + "ｕ６,2026-01-05,,basic,9.99\n Café ,2026-01-06,,basic,\n"
                  "Cafe\u0301,2026-01-07,,basic,\nu7,2026-01-08,,basic,\n\"u8\t\",2026-01-09,,basic,\n"
                  "\u3000u9,2026-01-10,,basic,\n")
    load_subscriptions(con, folder)
    assert [row["user_id"] for row in rows(con, "raw.subscriptions")] == ["u6", "Café", "Café", "u7", "u8", "u9"]


def test_each_bad_row_is_rejected_with_its_reason_and_raw_values(tmp_path, con):
    folder = land(tmp_path, "subs.csv", HEADER + "\n".join([
        "u1,2026-01-05,,basic,9.99",        # line 2: good
        "  ,2026-01-05,,basic,9.99",        # 3
        "u3,,,basic,9.99",                  # 4
        "u4,05/01/2026x,,basic,9.99",       # 5
        "u5,2026-01-05,someday,basic,9.99",  # 6
        "u6,2026-01-05,2026-01-04,basic,9.99",  # 7
        "u7,2026-01-05,,basic,-1",          # 8
        "u8,2026-01-05,,basic,free",        # 9
        "u9,2026-01-05,,basic,inf",         # 10
        "u10,2026-01-05,,basic,nan",        # 11
        ",nope,,basic,-3",                  # 12: every reason at once
        "u12,2026-01-05,2026-01-05,basic,0",  # 13: good, a spell of no days at a price of 0
    ]) + "\n")
    load = load_subscriptions(con, folder)
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (12, 2, 10)
    assert load.rows_read == load.rows_loaded + load.rows_rejected
    bad = {row["source_line"]: row for row in rows(con, "raw.subscriptions_rejected")}
    price = "price is not a finite non-negative number"
    assert {line: row["reason"] for line, row in bad.items()} == {
        3: "user_id is missing",
        4: "start is missing",
        5: "start is not a date",
        6: "end is not a date",
        7: "end is before start",
        8: price, 9: price, 10: price, 11: price,
        12: f"user_id is missing; start is not a date; {price}",
    }
    assert {k: bad[6][k] for k in ("user_id", "start", "end", "plan", "price")} == {
        "user_id": "u5", "start": "2026-01-05", "end": "someday", "plan": "basic", "price": "9.99"}
    assert bad[6]["source_file"] == str(folder / "subs.csv")
    assert [r["user_id"] for r in rows(con, "raw.subscriptions")] == ["u1", "u12"]


def test_every_file_is_read_and_optional_columns_may_be_absent(tmp_path, con):
    land(tmp_path, "a.csv", HEADER + "u1,2026-01-05,,basic,9.99\n")
    folder = land(tmp_path, "b.csv", "start,user_id\n2026-02-01,u2\n")  # any order, no end/plan/price
    load = load_subscriptions(con, folder)
    assert (load.files, load.rows_read, load.rows_loaded) == (2, 2, 2)
    second = rows(con, "raw.subscriptions")[1]
    assert (second["user_id"], second["start_date"], second["end_date"], second["plan"], second["price"]) == (
        "u2", dt.date(2026, 2, 1), None, None, None)


@pytest.mark.parametrize("header, missing", [("user_id,end\n", "start"), ("customer,begin\n", "user_id, start")])
def test_a_file_without_a_required_column_fails_naming_file_and_column(tmp_path, con, header, missing):
    folder = land(tmp_path, "a.csv", HEADER + "u1,2026-01-05,,basic,9.99\n")
    load_subscriptions(con, folder)
    land(tmp_path, "b.csv", header + "u2,2026-03-01\n")
    with pytest.raises(LandingFileError) as err:
        load_subscriptions(con, folder)
    assert str(folder / "b.csv") in str(err.value) and f"column(s) {missing} missing" in str(err.value)
    # The failed load left the last good tables as they were.
    assert [r["user_id"] for r in rows(con, "raw.subscriptions")] == ["u1"]


def test_without_any_file_both_tables_exist_and_are_empty(tmp_path, con):
    folder = land(tmp_path, "a.csv", HEADER + "u1,2026-01-05,,basic,9.99\n,2026-01-05,,,\n")
    load_subscriptions(con, folder)
    (folder / "a.csv").unlink()
    folder.rmdir()
    load = load_subscriptions(con, folder)  # the folder is gone: a reload empties the tables
    assert (load.files, load.rows_read, load.rows_loaded, load.rows_rejected) == (0, 0, 0, 0)
    assert rows(con, "raw.subscriptions") == [] and rows(con, "raw.subscriptions_rejected") == []
    columns = con.execute("select table_name, list(column_name order by column_index) from duckdb_columns() "
                          "where schema_name = 'raw' group by table_name").fetchall()
    assert dict(columns) == {
        "subscriptions": ["user_id", "start_date", "end_date", "plan", "price", "source_file", "source_line"],
        "subscriptions_rejected": ["user_id", "start", "end", "plan", "price", "source_file", "source_line", "reason"],
    }


def test_the_asset_loads_the_settings_folder_and_reports_counts(tmp_path):
    land(tmp_path, "a.csv", HEADER + "u1,2026-01-05,,basic,9.99\nu2,bad,,basic,9.99\n")
    settings = Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE))
    result = dg.materialize(
        [raw_subscriptions], resources={"settings": settings, "duckdb": DuckDBResource(database=str(settings.warehouse))}
    )
    metadata = result.asset_materializations_for_node("raw_subscriptions")[0].metadata
    assert {k: metadata[k].value for k in ("files", "rows_read", "rows_loaded", "rows_rejected")} == {
        "files": 1, "rows_read": 2, "rows_loaded": 1, "rows_rejected": 1}


def test_the_asset_is_raw_and_upstream_of_the_churn_models(tmp_path):
    from pipeline.definitions import build_definitions

    with dg.instance_for_test():
        defs = build_definitions(Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE)))
        graph = defs.resolve_asset_graph()
    key = dg.AssetKey("raw_subscriptions")
    assert graph.get(key).group_name == "raw"
    # Whatever churn definition the manifest was parsed with: it is loaded before these models.
    assert {"user_churn_status", "user_subscription_features"} <= {k.to_user_string() for k in graph.get(key).child_keys}
