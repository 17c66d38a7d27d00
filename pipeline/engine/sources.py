"""dbt's sources for Spark: the tables the Python steps write into DuckDB (raw events and
subscriptions, scores, customer values), exported as Parquet, one folder per table under
<data>/spark/sources/<schema>/<table>/. dbt's on-run-start hook (macro
register_parquet_sources) registers each folder as a Spark table of the same name, so every
source() reads the same on DuckDB and on Spark."""

import os
import shutil
from pathlib import Path

import duckdb

# The sources of dbt_project/models/staging/events/_events__sources.yml.
SOURCE_TABLES = ("raw.events", "raw.subscriptions", "ml.churn_scores", "ml.customer_value")


# The tables exported last, for the hook: it registers only these (dbt reads the environment).
EXPORTED_ENV = "CHURN_SPARK_SOURCES"


def export_sources(warehouse: Path, root: Path) -> list[str]:
    """Write each source table to root/<schema>/<table>/part-0.parquet and return the tables
    written. A folder is replaced whole (written beside it, then swapped), so Spark never
    reads half a table. A table the pipeline has not written yet (no scores before the
    first training) is left out, as it is absent on DuckDB then."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = {f"{s}.{t}" for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
        exported = [table for table in SOURCE_TABLES if table in present]
        for table in exported:
            schema, name = table.split(".")
            folder = root / schema / name
            staged = folder.with_name(f".{name}.staged")
            shutil.rmtree(staged, ignore_errors=True)
            staged.mkdir(parents=True)
            con.execute(f"copy (select * from {table}) to '{staged / 'part-0.parquet'}' (format parquet)")
            shutil.rmtree(folder, ignore_errors=True)
            staged.rename(folder)
    return exported


def export_for_dbt(warehouse: Path, root: Path) -> dict[str, str]:
    """Export the sources; the environment variables that dbt's run then needs."""
    return {EXPORTED_ENV: ",".join(export_sources(warehouse, root)), "CHURN_SPARK_SOURCES_DIR": str(root)}
