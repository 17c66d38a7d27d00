"""Kept features are recomputed when what computes them changes (pipeline/dbt/feature_definition.py)."""

import json
import shutil

import duckdb

from pipeline.dbt import feature_definition
from pipeline.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings


def settings_of(tmp_path, **dbt_vars) -> Settings:
    return Settings(data_dir=str(tmp_path), mapping_file=str(REPO_ROOT / "mappings" / "identity.yml"),
                    dbt_vars=json.dumps(dbt_vars))


def test_the_fingerprint_follows_the_dbt_vars(tmp_path):
    same = feature_definition.fingerprint(settings_of(tmp_path))
    assert feature_definition.fingerprint(settings_of(tmp_path)) == same
    assert feature_definition.fingerprint(settings_of(tmp_path, warning_recent_days=21)) != same


def test_the_fingerprint_follows_the_feature_sql(tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    monkeypatch.setattr(feature_definition, "DBT_PROJECT_DIR", project)
    settings = settings_of(tmp_path)
    before = feature_definition.fingerprint(settings)
    model = project / "models" / "features" / "per_date" / "user_features.sql"
    sql = model.read_text()
    assert "('orders_7d', 'sum', 'orders', 7, 0)" in sql
    model.write_text(sql.replace("('orders_7d', 'sum', 'orders', 7, 0)", "('orders_7d', 'sum', 'orders', 8, 0)"))
    assert feature_definition.fingerprint(settings) != before


def test_nothing_is_stored_before_a_build_and_the_last_build_is_what_is_read(tmp_path):
    settings = settings_of(tmp_path)
    assert feature_definition.stored(settings) is None  # no warehouse yet
    duckdb.connect(str(settings.warehouse)).close()
    assert feature_definition.stored(settings) is None  # a warehouse from before
    feature_definition.store(settings, "a")
    feature_definition.store(settings, "b")
    assert feature_definition.stored(settings) == "b"
