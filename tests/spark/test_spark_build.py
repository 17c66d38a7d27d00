"""The same dbt models on Spark: a small demo run by the pipeline on DuckDB and, through the
same Dagster job, on a local Spark Connect server (dbt-spark's session target, CHURN_ENGINE=spark,
SPARK_REMOTE), then the next day's incremental models on both, and the key marts compared: equal
keys, equal integers and texts, floats within 1e-9 relative. Spark's tables are read back from
their Parquet files."""

import contextlib
import datetime as dt
import decimal
import math
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate, write

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None,
                       reason="Spark needs Java 17 on PATH (apt-get install openjdk-17-jre-headless; README, 'Running on Spark')"),
]

END = dt.date(2026, 3, 31)
DAYS = 60
FIRST, BEFORE_LAST = f"{END - dt.timedelta(days=DAYS - 1)}", f"{END - dt.timedelta(days=1)}"

# The history builds every model and runs every Python step, without dbt's tests: they run on
# DuckDB in every other module, and on Spark each of the 181 costs about a second. The day
# after it loads and builds the incremental models alone.
INCREMENTAL_STEPS = ("raw_events", "dbt_daily_models", "dbt_feature_models")

# Key marts and their keys: the user-day table, the features of every observation date, the
# labels, the segments (these from scores of a model trained on each engine's training set).
MARTS = {
    "int_user_days_aggregated": ("user_id", "activity_date"),
    "user_features": ("user_id", "as_of_date"),
    "user_event_type_features": ("user_id", "as_of_date", "event_type"),
    "churn_labels": ("user_id", "as_of_date"),
    "user_segments": ("user_id",),
}


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pipeline_runner):
    """The same landing files through the same Dagster job on DuckDB and on Spark
    (CHURN_ENGINE=spark): the history up to the day before the last, then the last day's
    incremental models. Returns each engine's settings."""
    demo = tmp_path_factory.mktemp("demo")
    write(generate(n_users=300, n_days=DAYS, end_date=END, seed=7), demo, bad_row_rate=0.01, seed=7)
    settings, seconds = {}, {}
    for engine in ("duckdb", "spark"):
        data = tmp_path_factory.mktemp(engine)
        shutil.copytree(demo / "landing", data / "landing")
        # Spark takes the other plan of the windowed features (macro per_date_aggregates): range
        # windows where DuckDB, on a small shop, joins each date to its window.
        runner = pipeline_runner(data, engine=engine,
                                 dbt_vars='{"per_date_windows_from_rows": 0}' if engine == "spark" else "{}")
        with spark_connect_server(data) if engine == "spark" else contextlib.nullcontext():
            for part, (first, last, steps) in {"history": (FIRST, BEFORE_LAST, None),
                                               "day": (f"{END}", f"{END}", INCREMENTAL_STEPS)}.items():
                started = time.monotonic()
                result = runner.run(first, last, steps=steps, dbt_tests=False, diagnostics=False)
                assert result.success, f"the {part} run on {engine} failed"
                seconds[f"{engine} {part}"] = round(time.monotonic() - started)
        settings[engine] = runner.settings
    print("wall times of the pipeline runs (s):", seconds)
    return settings


@contextlib.contextmanager
def spark_connect_server(data: Path):
    """A local Spark Connect server over the data folder's warehouse and metastore, reached
    through SPARK_REMOTE as a cluster would be (README, "Running on Spark"). The profile's
    static settings are the server's here, as a cluster's are its own. dbt's five runs share
    its JVM instead of starting one each (about 12 s apiece)."""
    import pyspark

    home, spark = Path(pyspark.__file__).parent, data / "spark"
    spark.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    conf = {
        "spark.connect.grpc.binding.port": port,
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": spark / "warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={spark / 'metastore_db'};create=true",
        # A short-lived JVM on tiny data: compiling (Java's JIT, Spark's generated code) would
        # cost more CPU than it saves, beside the other pytest worker.
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark} -XX:TieredStopAtLevel=1",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": 4, "spark.default.parallelism": 2, "spark.ui.enabled": "false",
    }
    log_path = spark / "connect_server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
             *(arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}"))],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "SPARK_HOME": str(home)}, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Spark Connect server started" not in log_path.read_text(errors="replace"):
            assert server.poll() is None and time.monotonic() < deadline, \
                f"the Spark Connect server did not start: {log_path.read_text(errors='replace')[-2000:]}"
            time.sleep(0.5)
        os.environ["SPARK_REMOTE"] = f"sc://localhost:{port}"
        yield
    finally:
        os.environ.pop("SPARK_REMOTE", None)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:  # a loaded machine: its shutdown hooks crawl, and its work is on disk
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(60)


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
    spark_files = engines["spark"].spark_models / mart
    with duckdb.connect(str(engines["duckdb"].warehouse), read_only=True) as con:
        duck = rows(con, f"main.{mart}", keys)
        spark = rows(con, f"read_parquet('{spark_files}/**/*.parquet', hive_partitioning = true)", keys)
    assert len(duck[1]) > 100
    found = differences(duck, spark, keys)
    assert not found, f"{len(found)} differences in {mart}, the first: " + "; ".join(found[:5])


def test_python_steps_on_spark_read_spark_models_and_hand_back_scores(engines):
    """On Spark the training set, scores and serving go through Parquet (pipeline/engine/)."""
    spark = engines["spark"]
    with duckdb.connect(str(spark.warehouse), read_only=True) as con:
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                                 "where table_schema = 'main' and table_name in ('churn_training_set', 'user_segments')").fetchall())
        scored_days = con.execute("select count(distinct as_of_date) from ml.churn_scores").fetchone()[0]
    assert kinds == {"churn_training_set": "VIEW", "user_segments": "VIEW"}  # over Spark's files
    assert scored_days == 1 and (spark.spark_sources / "ml" / "churn_scores").is_dir()
