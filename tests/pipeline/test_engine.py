"""CHURN_ENGINE picks the dbt target; the Parquet handoff of the sources (pipeline/engine/)."""

import datetime as dt

import duckdb
import pytest

from pipeline.engine.models import attach_spark_models
from pipeline.engine.sources import export_sources
from pipeline.settings import load_settings


def test_engine_picks_the_dbt_target_and_refuses_others(tmp_path, monkeypatch):
    monkeypatch.setenv("CHURN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CHURN_ENGINE", raising=False)
    assert load_settings().dbt_target_name == "dev"
    monkeypatch.setenv("CHURN_ENGINE", "spark")
    assert load_settings().dbt_target_name == "spark"
    monkeypatch.setenv("CHURN_ENGINE", "oracle")
    with pytest.raises(ValueError, match="CHURN_ENGINE"):
        load_settings()


def test_sources_go_out_as_parquet_and_models_come_back_as_views(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw; create table raw.events as select 'u1' as user_id, date '2026-01-02' as d")
        con.execute("create table raw.subscriptions (user_id varchar)")  # empty: exported with its columns
    # No scores before the first training: left out, as on DuckDB.
    assert export_sources(warehouse, tmp_path / "sources") == ["raw.events", "raw.subscriptions"]
    assert duckdb.sql(f"select * from '{tmp_path}/sources/raw/events/*.parquet'").fetchall() == [("u1", dt.date(2026, 1, 2))]

    # A partitioned table as Spark writes it, and one with no file yet.
    spark = tmp_path / "main.db"
    (spark / "user_features" / "as_of_date=2026-01-05").mkdir(parents=True)
    (spark / "empty_partitioned").mkdir()
    duckdb.sql("select 'u1' as user_id, 3 as events").write_parquet(str(spark / "user_features" / "as_of_date=2026-01-05" / "part-0.parquet"))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table main.user_features as select 1 as stale")  # built on DuckDB before
    assert attach_spark_models(warehouse, spark) == ["user_features"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select user_id, events, cast(as_of_date as varchar) from main.user_features").fetchall() == [("u1", 3, "2026-01-05")]
