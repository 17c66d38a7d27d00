"""The Dagster definitions as a user sees them: groups, lineage, schedule, workspace."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource

from pipeline.dbt.resource import ChurnDbtCliResource
from pipeline.definitions import build_definitions
from pipeline.settings import DEFAULT_MAPPING_FILE, REPO_ROOT, Settings


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    # Resolving definitions reads state from the current Dagster instance: give it a live one.
    with dg.instance_for_test():
        yield build_definitions(Settings(data_dir=str(data), mapping_file=str(DEFAULT_MAPPING_FILE), first_day="2026-01-01"))


def test_assets_are_grouped_raw_features_model_segments_serving(defs):
    graph = defs.resolve_asset_graph()
    group = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert group["raw_events"] == "raw"
    assert group["int_user_days_aggregated"] == group["user_features"] == group["churn_labels"] == "features"
    assert group["churn_model"] == group["churn_scores"] == "model"
    assert group["user_segments"] == "segments"
    assert group["customer_value"] == "model"
    assert group["playbook"] == group["action_assignments"] == group["uplift_report"] == "actions"
    assert group["serving"] == "serving"


def test_lineage_runs_from_raw_events_to_serving(defs):
    graph = defs.resolve_asset_graph()
    upstream = {k.to_user_string() for k in graph.get_ancestor_asset_keys(dg.AssetKey("serving"))}
    assert {"raw_events", "int_user_days_aggregated", "user_features", "churn_model", "churn_scores",
            "user_segments"} <= upstream
    model_inputs = {k.to_user_string() for k in graph.get(dg.AssetKey("churn_model")).parent_keys}
    assert model_inputs == {"churn_training_set", "feature_catalog"}  # the rows, and which columns are features
    # Actions need today's scores, customer values and segments, and are published.
    decided_from = {k.to_user_string() for k in graph.get_ancestor_asset_keys(dg.AssetKey("action_queue"))}
    assert {"churn_scores", "customer_value", "user_segments", "playbook"} <= decided_from
    assert {"action_queue", "uplift_report", "ab_test_report"} <= upstream


def test_dbt_tests_are_asset_checks(defs):
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "unique_user_segments_user_id" in checks
    assert "rejected_share_below_threshold" in checks


def test_the_schedule_runs_yesterdays_partition(defs):
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    with dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 31, 2, tzinfo=dt.timezone.utc)) as ctx:
        requests = schedule.evaluate_tick(ctx).run_requests
    assert [r.partition_key for r in requests] == ["2026-03-30"]


def test_workspace_yaml_loads_the_definitions():
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_warehouse_connections_keep_duckdb_within_the_configured_memory(tmp_path):
    settings = Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE), first_day="2026-01-01",
                        duckdb_memory_limit="1GB", duckdb_threads=1)
    with dg.instance_for_test():
        resource = build_definitions(settings).resources["duckdb"]
    with resource.get_connection() as con:
        limit, threads, temp = con.execute(
            "select current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        ).fetchone()
    assert limit.replace(" ", "") in ("1GB", "953.6MiB") and threads == 1
    assert Path(temp) == tmp_path / "duckdb_tmp"


def test_dbt_runs_through_a_resource_that_knows_its_version_without_asking(defs):
    resource = defs.resources["dbt"]
    assert isinstance(resource, ChurnDbtCliResource)
    # The members it overrides are dagster-dbt's private ones: a release that renames them
    # would silently bring the costs back, so this fails then.
    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(dir(DbtCliResource))
    reported = subprocess.run([resource.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert str(resource._cli_version) == re.search(r"(\d+\.\d+\.\d+)", reported).group(1)  # what dagster-dbt would ask
