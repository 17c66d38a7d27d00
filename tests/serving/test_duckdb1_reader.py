"""BI tools built on DuckDB 1.x (the CLI, Node clients, older drivers) open the serving file."""

import duckdb

from pipeline.serving.publish import TableDoc, publish

TABLES = {"user_segments": "select 'u1' as user_id, 0.25 as churn_probability, date '2026-03-31' as as_of_date",
          "kpi_daily": "select range as day_number from range(4)"}
DOCS = {"user_segments": TableDoc("One row per user.", {"user_id": "The user.", "churn_probability": "Risk.",
                                                        "as_of_date": "The date."}),
        "kpi_daily": TableDoc("One row per day.", {"day_number": "Days since the start."})}


def test_duckdb_1x_reads_every_table_and_comment_of_the_serving_file(tmp_path, duckdb1_reader):
    with duckdb.connect() as con:
        counts = publish(con, TABLES, tmp_path / "serving.duckdb", tmp_path / "serving", DOCS)
    seen = duckdb1_reader(tmp_path / "serving.duckdb")
    assert seen["version"].startswith("1.")
    assert seen["rows"] == counts
    assert seen["comments"] == {name: doc.description for name, doc in DOCS.items()}
    assert seen["column_comments"] == {name: doc.columns for name, doc in DOCS.items()}
