"""The whole graph on a small demo through Dagster's Python API, on real DuckDB, dbt and MLflow."""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from ml.score import use_tracking_store
import pytest

from demo.generate import generate, write
from pipeline.dbt import feature_definition
from pipeline.dbt.project import dbt_project
from pipeline.definitions import build_definitions
from pipeline.jobs import RANGE_END, RANGE_START
from pipeline.model import training_set
from pipeline.serving.assets import SERVING_TABLES
from pipeline.settings import DBT_PROJECT_DIR, Settings
from tests.view_reads import ViewReads

END = dt.date(2026, 3, 31)
DAYS = 60
FIRST, LAST = f"{END - dt.timedelta(days=DAYS - 1)}", f"{END}"

# Tables that must not change when a day is run again (volatile audit columns left out).
STABLE_TABLES = {
    "raw.events": "*", "raw.events_rejected": "*",
    "raw.event_loads": "* exclude (loaded_at)", "main.int_user_days_aggregated": "*",
    "main.user_features": "*", "main.user_event_type_features": "*", "main.churn_training_set": "*",
    "main.churn_labels": "*", "main.user_segments": "*",
    "ml.churn_scores": "* exclude (scored_at)", "main.action_assignments": "*",
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, pipeline_runner):
    data = tmp_path_factory.mktemp("data")
    write(generate(n_users=300, n_days=DAYS, end_date=END, seed=7), data, bad_row_rate=0.01, seed=7)
    runner = pipeline_runner(data)
    first = runner.run(FIRST, LAST)
    return {"runner": runner, "defs": runner.defs, "instance": runner.instance, "settings": runner.settings, "first": first}


def snapshot(warehouse) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: hashlib.sha1(repr(con.execute(f"select {cols} from {table} order by all").fetchall()).encode()).hexdigest()
            for table, cols in STABLE_TABLES.items()
        }


def scalar(settings, sql):
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_backfill_is_one_successful_run_with_every_check_passing(pipeline):
    result = pipeline["first"]
    assert result.success
    checks = result.get_asset_check_evaluations()
    blocking = [c.check_name for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    assert len(checks) > 10 and not blocking
    by_name = {c.check_name: c for c in checks}
    assert by_name["features_use_no_future_events"].passed and by_name["champion_gate"].passed
    assert "psi" in by_name["score_and_feature_drift"].metadata  # a warning at most, with its figures
    loaded = pipeline["instance"].get_materialized_partitions(dg.AssetKey("raw_events"))
    assert len(loaded) == DAYS and min(loaded) == FIRST and max(loaded) == LAST


def test_dbt_unit_tests_pass_on_the_warehouse_a_run_built(pipeline):
    """Runs leave dbt's unit tests out (their inputs are fixed; dbt advises running them in CI):
    they run here, once, with the runs' vars, against the relations a run built."""
    settings = pipeline["settings"]
    target = settings.root / "dbt_unit_tests"
    result = subprocess.run(
        [str(Path(sys.prefix) / "bin" / "dbt"), "test", "--select", "test_type:unit", "--target", "dev",
         "--vars", settings.dbt_vars_with(), "--target-path", str(target), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env={**os.environ, "CHURN_DATA_DIR": settings.data_dir, **settings.duckdb_env()},
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
    ran = [r for r in json.loads((target / "run_results.json").read_text())["results"]
           if r["unique_id"].startswith("unit_test.")]  # not the on-run-start hook
    declared = [n for n in json.loads(dbt_project.manifest_path.read_text())["unit_tests"]]
    assert len(declared) >= 10 and sorted(r["unique_id"] for r in ran) == sorted(declared)
    assert {r["status"] for r in ran} == {"pass"}


def test_every_row_read_is_loaded_rejected_or_a_counted_duplicate(pipeline):
    s = pipeline["settings"]
    read, loaded, rejected, dups = (scalar(s, f"select sum({c}) from raw.event_loads") for c in
                                    ("rows_read", "rows_loaded", "rows_rejected", "duplicates_dropped"))
    assert rejected > 0 and dups > 0  # the demo ships bad rows and duplicates on purpose
    assert read == loaded + rejected + dups
    assert scalar(s, "select count(*) from raw.events") == loaded
    assert scalar(s, "select count(*) from raw.events_rejected where reason is null or source_line is null") == 0


def test_tables_have_their_grain(pipeline):
    s = pipeline["settings"]
    users = scalar(s, "select count(distinct user_id) from raw.events")
    assert scalar(s, "select count(*) from (select distinct user_id, activity_date from int_user_days_aggregated)") \
        == scalar(s, "select count(*) from int_user_days_aggregated") > users
    assert scalar(s, "select count(distinct as_of_date) from user_features") > 4  # weekly spine
    assert scalar(s, "select max(as_of_date) from user_features") == END
    n_segments = scalar(s, "select count(*) from user_segments")
    assert 0 < n_segments == scalar(s, "select count(distinct user_id) from user_segments") <= users
    assert scalar(s, f"select count(*) from ml.churn_scores where as_of_date = '{LAST}'") == n_segments
    assert scalar(s, "select count(*) from churn_labels where not label_mature") > 0  # last 30 days are immature
    # The features were built under today's definition: the next run adds dates, recomputes none.
    assert scalar(s, "select fingerprint from feature_definition") == feature_definition.fingerprint(s)


def test_a_sampled_training_read_filters_every_table_the_view_reads(pipeline):
    """Past the row budget the training read keeps a fixed sample of users in each table the
    view reads (DuckDB does not carry a filter on the view's user_id into its left joins), and
    reads the same rows as that filter on the whole view."""
    order = ["user_id", "as_of_date"]
    with duckdb.connect(str(pipeline["settings"].warehouse), read_only=True) as con:
        every = con.execute(f"select count(*) from {training_set.VIEW}").fetchone()[0]
        plans = []
        rows, share = training_set.rows_where(ViewReads(con, view_plan, plans), max_rows=every // 4)
        per_million = round(share * 1_000_000)
        picked = con.execute(f"select * from {training_set.VIEW} where hash(user_id) % 1000000 < {per_million}").df()
        unset = con.execute(f"select getvariable('{training_set.SAMPLE_VARIABLE}')").fetchone()[0]
    assert 0 < len(rows) < every and unset is None  # a sample; the variable stays with the read
    pd.testing.assert_frame_equal(rows.sort_values(order, ignore_index=True), picked.sort_values(order, ignore_index=True))
    plan = plans[-1]  # the view as the connection that read the rows plans it
    scans = plan.count("Table:")
    assert scans >= 11 and plan.count("hash(user_id)") == scans, plan


def view_plan(con) -> str:
    """The plan of the whole view on that connection."""
    return con.execute(f"explain select * from {training_set.VIEW}").fetchall()[0][1]


def test_mlflow_holds_the_run_and_the_champion(pipeline):
    client = use_tracking_store(pipeline["settings"].mlflow_tracking_uri)
    champion = client.get_model_version_by_alias("churn_model", "champion")
    metrics = client.get_run(champion.run_id).data.metrics
    assert {"val/roc_auc", "val/pr_auc", "val/brier", "val/log_loss"} <= set(metrics)
    assert metrics["val/roc_auc"] > 0.6


def test_kpi_churn_is_daily_and_agrees_with_the_labels(pipeline):
    """Every day whose window has closed has a churn rate (dbt test), and on the observation
    dates it is the matured labels' rate among active users."""
    s = pipeline["settings"]
    disagree = scalar(s, """
        select count(*) from kpi_daily as kpi inner join (
            select labels.as_of_date, avg(cast(labels.churned as double)) as rate
            from churn_labels as labels inner join user_churn_status as status using (user_id, as_of_date)
            where labels.label_mature and status.churn_status = 'active' group by 1
        ) as labelled on labelled.as_of_date = kpi.activity_date
        where kpi.churn_rate is null or abs(kpi.churn_rate - labelled.rate) > 1e-9""")
    assert disagree == 0
    assert scalar(s, "select count(churn_rate) from kpi_daily") > scalar(
        s, "select count(distinct as_of_date) from churn_labels where label_mature")


def test_the_serving_file_has_the_bi_tables(pipeline, duckdb1_reader):
    s = pipeline["settings"]
    with duckdb.connect(str(s.serving_db), read_only=True) as con:
        assert con.execute("select count(*) from user_segments").fetchone()[0] == scalar(s, "select count(*) from user_segments")
    assert (s.serving_dir / "user_segments.parquet").exists()
    # DuckDB 1.x clients read every table, and every table and column carries its description.
    seen = duckdb1_reader(s.serving_db)
    assert set(seen["rows"]) == set(SERVING_TABLES) and seen["rows"]["user_segments"] == scalar(s, "select count(*) from user_segments")
    undocumented = [t for t, text in seen["comments"].items() if not text] + [
        f"{t}.{c}" for t, columns in seen["column_comments"].items() for c, text in columns.items() if not text]
    assert undocumented == []


def test_sensor_requests_one_run_for_new_days_and_skips_when_loaded(pipeline):
    defs, instance = pipeline["defs"], pipeline["instance"]
    sensor = defs.resolve_sensor_def("new_landing_day_sensor")
    resources = {"settings": pipeline["settings"]}
    with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)
    new_day = pipeline["settings"].landing_events / "date=2026-01-15"
    new_day.mkdir()
    (new_day / "late.csv").write_text("user_id,event_time,event_type\nu1,2026-01-15 10:00:00,visit\n")
    with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
        request = sensor(ctx)
    (new_day / "late.csv").unlink()
    new_day.rmdir()
    assert request.tags[RANGE_START] == request.tags[RANGE_END] == "2026-01-15"


def test_rerunning_a_past_day_changes_no_table_while_a_bi_reader_holds_the_serving_file(pipeline, tmp_path):
    """A past day run again (as when late files arrive) recomputes the features of every
    observation date after it: with the same files, to the same rows."""
    s = pipeline["settings"]
    before = snapshot(s.warehouse)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, os, time
        counts = set()
        with duckdb.connect({str(s.serving_db)!r}, read_only=True) as con:   # held open the whole time
            while not os.path.exists({str(stop)!r}):
                counts.add(con.execute("select count(*) from user_segments").fetchone()[0])
                time.sleep(0.2)
        print(sorted(counts))
    """)], stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    past_day = f"{END - dt.timedelta(days=20)}"
    again = pipeline["runner"].run(past_day, past_day, diagnostics=False)  # plots were checked on the first run
    stop.touch()
    out, _ = reader.communicate(timeout=60)
    assert again.success and reader.returncode == 0
    # The champion trained on the first run is days old: this run scores with it, no training.
    kept = again.asset_materializations_for_node("churn_model")[0].metadata
    assert kept["trained"].value is False and "next training in" in kept["training_reason"].value, kept["training_reason"].value
    assert snapshot(s.warehouse) == before
    n_segments = scalar(s, "select count(*) from user_segments")
    assert out.strip() == f"[{n_segments}]"  # the reader only ever saw the complete table
    with duckdb.connect(str(s.serving_db), read_only=True) as con:
        assert con.execute("select count(*) from user_segments").fetchone()[0] == n_segments


def test_segments_carry_tiers_stages_rfm_and_warnings(pipeline):
    s = pipeline["settings"]
    nulls = scalar(s, "select count(*) from user_segments where value_tier is null or lifecycle_stage is null "
                      "or rfm_segment is null or session_drop_flag is null")
    assert nulls == 0
    assert scalar(s, "select count(*) from user_segments where value_tier = 'silent' and silent_subtype is null") == 0
    with duckdb.connect(str(s.serving_db), read_only=True) as con:
        published = {r[0] for r in con.execute("show tables").fetchall()}
    assert {"user_segments", "segment_summary", "lifecycle_transitions", "kpi_daily", "cohort_retention",
            "churn_scores", "event_loads"} <= published


def test_deleted_users_leave_no_trace_and_stay_out_when_their_day_is_reloaded(pipeline, tmp_path, monkeypatch):
    """On a copy of the finished run: the delete_users job for two users, then their last landing
    day reloaded through the daily job (loader and incremental user-day models)."""
    s = pipeline["settings"]
    data = tmp_path / "data"
    shutil.copytree(s.root, data, symlinks=True)  # the serving links stay links (they are relative)
    copy = Settings(data_dir=str(data), mapping_file=s.mapping_file, first_day=s.first_day, dbt_vars=s.dbt_vars)
    with duckdb.connect(str(copy.warehouse), read_only=True) as con:  # two users with actions and rejected rows
        users = [r[0] for r in con.execute(
            "select distinct a.user_id from action_assignments a join raw.events_rejected r "
            "on contains(r.raw_content, '\"' || a.user_id || '\"') order by 1 limit 2").fetchall()]
        day = str(con.execute("select max(landing_date) from raw.events where user_id = ?", [users[0]]).fetchone()[0])
    (data / "landing" / "subscriptions").mkdir(parents=True)
    (data / "landing" / "subscriptions" / "spells.csv").write_text(f"user_id,start\n{users[0]},2026-01-05\nkept,2026-01-05\n")
    assert len(users) == 2 and _traces(copy, users)["files"]  # the search finds them before
    (data / "landing" / "deletions").mkdir(parents=True)
    (data / "landing" / "deletions" / "ticket-1.csv").write_text(f"user_id\n{users[0]}\n {users[1]} \n")

    defs = build_definitions(copy)
    config = {"ops": {"user_deletions": {"config": {"requested_by": "privacy desk"}}}}
    assert defs.resolve_job_def("delete_users").execute_in_process(run_config=config).success
    assert _traces(copy, users) == {"rows": {}, "files": []}
    with duckdb.connect(str(copy.warehouse), read_only=True) as con:
        audit = con.execute("select requested_by, request_file, users_requested, rows_deleted from privacy.deletion_audit").fetchall()
    assert [row[:3] for row in audit] == [("privacy desk", "landing/deletions/ticket-1.csv", 2)]
    deleted = json.loads(audit[0][3])
    assert min(deleted[f"warehouse:{t}"] for t in ("raw.events", "raw.events_rejected", "main.action_assignments",
                                                    "main.int_user_days_aggregated", "ml.churn_scores")) > 0
    # Counted over every published version kept (the current one and the one before).
    assert deleted["serving:main.user_segments"] == deleted["parquet:user_segments.parquet"] >= 2

    monkeypatch.setenv("CHURN_DATA_DIR", str(data))  # dbt's profile reads it
    reload = [dg.AssetKey(k) for k in ("raw_events", "raw_subscriptions", "int_user_days_aggregated", "int_user_event_type_days")]
    assert defs.resolve_job_def("daily_pipeline").execute_in_process(partition_key=day, asset_selection=reload).success
    assert _traces(copy, users) == {"rows": {}, "files": []}
    with duckdb.connect(str(copy.warehouse), read_only=True) as con:
        read, loaded, rejected, dups, suppressed = con.execute(
            "select rows_read, rows_loaded, rows_rejected, duplicates_dropped, rows_suppressed from raw.event_loads "
            "where landing_date = ?", [day]).fetchone()
        assert suppressed > 0 and read == loaded + rejected + dups + suppressed
        assert con.execute("select list(user_id) from raw.subscriptions").fetchone()[0] == ["kept"]


def _traces(settings, ids) -> dict:
    """Where the ids still are: rows of any text column of the warehouse, the serving file and the
    Parquet files, and the bytes of any file of the data folder but the landing files (and the
    demo's truth), which hold them by design: MLflow's store and artifacts, Dagster's, ..."""
    rows = {}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        con.execute(f"attach '{settings.serving_db}' as serving (read_only)")
        for view in settings.serving_dir.glob("*.parquet"):
            con.execute(f"create temp view \"{view.name}\" as select * from read_parquet('{view}')")
        columns = con.execute("select table_catalog, table_schema, table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR'").fetchall()
        for catalog, schema, table, column in columns:
            hits = con.execute(f'select count(*) from "{catalog}"."{schema}"."{table}" where '
                               + " or ".join(f'contains("{column}", ?)' for _ in ids), ids).fetchone()[0]
            if hits:
                rows[f"{catalog}.{schema}.{table}.{column}"] = hits
    files = sorted(str(p.relative_to(settings.root)) for p in settings.root.rglob("*")
                   if p.is_file() and p.relative_to(settings.root).parts[0] not in ("landing", "demo_truth")
                   and any(i.encode() in p.read_bytes() for i in ids))
    return {"rows": rows, "files": files}


def test_the_leakage_check_catches_a_feature_that_saw_the_future(pipeline):
    """Run last: it tampers with the working database."""
    from pipeline.model.leakage import features_use_no_future_events

    CHECK_OP = "churn_training_set_features_use_no_future_events"

    s, defs = pipeline["settings"], pipeline["defs"]
    check_alone = dg.AssetSelection.checks(features_use_no_future_events)

    def check(**config):
        result = dg.materialize([*defs.assets, features_use_no_future_events], selection=check_alone,
                                resources=defs.resources, instance=pipeline["instance"], raise_on_error=False,
                                run_config={"ops": {CHECK_OP: {"config": config}}})
        return result.get_asset_check_evaluations()[0]

    # The pipeline's run rebuilt the features; with the same definition the next run relies on that.
    relied = check()
    assert relied.passed and relied.metadata["rebuilt"].value is False
    assert relied.metadata["feature_definition"].value == feature_definition.fingerprint(s)
    rebuilt = check(force=True)
    assert rebuilt.passed and rebuilt.metadata["rebuilt"].value is True
    assert rebuilt.metadata["rows_compared"].value > 0
    with duckdb.connect(str(s.warehouse)) as con:  # a feature that "knows" one more order than happened
        con.execute("update user_features set orders_90d = orders_90d + 1")
    evaluation = check(force=True)
    assert not evaluation.passed
    assert "orders_90d" in evaluation.metadata["columns_with_differences"].value
    # After a failure the check rebuilds again, even unasked: a failure is never relied on.
    again = check()
    assert not again.passed and again.metadata["reason"].value == "no passing rebuild on record"
