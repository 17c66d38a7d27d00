"""The same dbt models on Spark: a small demo run by the DuckDB pipeline, the dbt project
built from the same sources on local Spark (dbt-spark's session target), one more daily run on
both, and the key marts compared: equal keys, equal integers and texts, floats within 1e-9
relative. Spark's tables are read back from their Parquet files."""

import datetime as dt
import decimal
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate, write
from pipeline.engine.sources import export_for_dbt
from pipeline.settings import DBT_PROJECT_DIR

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None,
                       reason="Spark needs Java 17 on PATH (apt-get install openjdk-17-jre-headless; README, 'Running on Spark')"),
]

END = dt.date(2026, 3, 31)
DAYS = 60
FIRST, BEFORE_LAST = f"{END - dt.timedelta(days=DAYS - 1)}", f"{END - dt.timedelta(days=1)}"

# Key marts and their keys: the features of every observation date, the labels, the segments.
MARTS = {
    "int_user_days_aggregated": ("user_id", "activity_date"),
    "user_features": ("user_id", "as_of_date"),
    "churn_labels": ("user_id", "as_of_date"),
    "user_segments": ("user_id",),
}


def dbt_on_spark(settings, run_days: tuple[str, str] | None, log: Path) -> float:
    """`dbt build --target spark` of the whole project (unit tests are DuckDB-only: their
    fixtures are DuckDB SQL), after exporting the DuckDB pipeline's sources; seconds taken."""
    env = {**os.environ, "CHURN_DATA_DIR": settings.data_dir, "CHURN_SPARK_DRIVER_MEMORY": "2g",
           "CHURN_RUN_START_DATE": run_days[0] if run_days else "", "CHURN_RUN_END_DATE": run_days[1] if run_days else "",
           **export_for_dbt(settings.warehouse, settings.spark_sources)}
    started = time.monotonic()
    with open(log, "a") as out:
        result = subprocess.run(
            [Path(sys.executable).parent / "dbt", "build", "--target", "spark", "--profiles-dir", ".",
             "--target-path", str(settings.root / "dbt_target_spark"), "--vars", settings.dbt_vars_with(),
             "--exclude-resource-type", "unit_test"],
            cwd=DBT_PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    assert result.returncode == 0, f"dbt build on Spark failed: see {log}"
    return time.monotonic() - started


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pipeline_runner):
    data = tmp_path_factory.mktemp("data")
    write(generate(n_users=300, n_days=DAYS, end_date=END, seed=7), data, bad_row_rate=0.01, seed=7)
    runner = pipeline_runner(data)
    log, seconds = data / "dbt_spark.log", {}
    started = time.monotonic()
    assert runner.run(FIRST, BEFORE_LAST).success
    seconds["duckdb_pipeline_history"] = time.monotonic() - started
    seconds["spark_dbt_history"] = dbt_on_spark(runner.settings, None, log)
    started = time.monotonic()
    assert runner.run(f"{END}", f"{END}").success  # one more day: the incremental models on both
    seconds["duckdb_pipeline_day"] = time.monotonic() - started
    seconds["spark_dbt_day"] = dbt_on_spark(runner.settings, (f"{END}", f"{END}"), log)
    print("wall times (s):", {k: round(v) for k, v in seconds.items()})
    return runner.settings


def rows(con, relation: str, keys: tuple[str, ...]) -> tuple[list[str], list[tuple]]:
    columns = sorted(c[0] for c in con.execute(f"describe select * from {relation}").fetchall())
    return columns, con.execute(f"select {', '.join(columns)} from {relation} order by {', '.join(keys)}").fetchall()


def same(a, b) -> bool:
    """Equal, floats within 1e-9 relative (Spark and DuckDB sum in different orders)."""
    if isinstance(a, (float, decimal.Decimal)) or isinstance(b, (float, decimal.Decimal)):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(float(a)) and math.isnan(float(b)))
    return a == b


def differences(duck: tuple, spark: tuple, keys: tuple[str, ...]) -> list[str]:
    (duck_columns, duck_rows), (spark_columns, spark_rows) = duck, spark
    if duck_columns != spark_columns:
        return [f"columns differ: {sorted(set(duck_columns) ^ set(spark_columns))}"]
    key_at = [duck_columns.index(k) for k in keys]
    if [tuple(r[i] for i in key_at) for r in duck_rows] != [tuple(r[i] for i in key_at) for r in spark_rows]:
        return [f"keys differ: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    return [f"{tuple(d[i] for i in key_at)} {column}: DuckDB {d[j]!r}, Spark {s[j]!r}"
            for d, s in zip(duck_rows, spark_rows) for j, column in enumerate(duck_columns) if not same(d[j], s[j])]


@pytest.mark.parametrize("mart", MARTS)
def test_spark_builds_the_same_mart_as_duckdb(engines, mart):
    keys = MARTS[mart]
    spark_files = engines.root / "spark" / "warehouse" / "main.db" / mart
    with duckdb.connect(str(engines.warehouse), read_only=True) as con:
        duck = rows(con, f"main.{mart}", keys)
        spark = rows(con, f"read_parquet('{spark_files}/**/*.parquet', hive_partitioning = true)", keys)
    assert len(duck[1]) > 100
    found = differences(duck, spark, keys)
    assert not found, f"{len(found)} differences in {mart}, the first: " + "; ".join(found[:5])
