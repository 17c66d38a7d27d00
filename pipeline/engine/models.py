"""dbt's models for the Python steps when dbt builds them on Spark: each table of Spark's
warehouse becomes a DuckDB view of the same name (main.<model>) over its Parquet files, so
training, scoring, customer value and publish read the training set and the marts as they do
on DuckDB, and ml/ never learns which engine built them. What the Python steps write (scores,
customer values) goes back to Spark through pipeline/engine/sources.py."""

from pathlib import Path

import duckdb


def attach_spark_models(warehouse: Path, spark_schema_dir: Path) -> list[str]:
    """A view main.<table> over <spark_schema_dir>/<table>/ for every table Spark has written
    (partitioned tables read their date from the folder names); returns the tables. A table
    with no file yet (an empty partitioned table) is left out. The views' columns are Spark's:
    a partition column comes last."""
    if not spark_schema_dir.is_dir():
        raise FileNotFoundError(f"no Spark tables at {spark_schema_dir}: the Python steps read the models from a local "
                                "Spark warehouse (a Spark Connect cluster's warehouse is not read yet; README, 'Running on Spark')")
    tables = sorted(p for p in spark_schema_dir.iterdir() if p.is_dir() and any(p.rglob("*.parquet")))
    with duckdb.connect(str(warehouse)) as con:
        built_here = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
        for folder in tables:
            if folder.name in built_here:  # a table dbt built on DuckDB before the engine changed
                con.execute(f"drop table main.{folder.name}")
            con.execute(f"create or replace view main.{folder.name} as select * from read_parquet("
                        f"'{folder}/**/*.parquet', hive_partitioning = true)")
    return [folder.name for folder in tables]
