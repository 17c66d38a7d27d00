"""Settings are values, not SQL: every dbt var a user may set has a type and allowed values
(pipeline/dbt/vars.py), a bad one is refused by name before any run, and the SQL side only
takes vars through the typed macros of dbt_project/macros/typed_vars.sql."""

import json
import re
import sys

import pytest
import yaml

from pipeline import cli
from pipeline.dbt.vars import SCHEMA, DbtVarError, check_vars
from pipeline.raw.mapping import MappingError, load_mapping
from pipeline.settings import DBT_PROJECT_DIR, DEFAULT_MAPPING_FILE, Settings, load_settings

CRAFTED = "no_order' as x; create table stolen as select count(*) n from raw.events; --"
PROJECT_VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
SQL_FILES = sorted([*DBT_PROJECT_DIR.glob("models/**/*.sql"), *DBT_PROJECT_DIR.glob("macros/**/*.sql")])
# Vars used bare only to choose SQL in Jinja (an enum checked by macro churn_definition) or
# quoted item by item (macro quoted); every other var goes through number_var / text_var / date_var.
BARE_VARS = {"churn_definition", "churn_event_types", "reason_families"}


def test_the_schema_has_every_var_of_the_project_and_accepts_its_defaults():
    assert set(SCHEMA) == set(PROJECT_VARS)
    check_vars(PROJECT_VARS, "dbt_project.yml")


def test_sql_takes_vars_only_through_the_typed_macros():
    used, bare = set(), {}
    for path in SQL_FILES:
        if path.name in ("typed_vars.sql", "run_var.sql"):
            continue
        for line in path.read_text().splitlines():
            for match in re.finditer(r"(\w*var)\(['\"](\w+)['\"]", line):
                if match[1] == "env_var":  # the environment (paths of the spark target's sources), not a dbt var
                    continue
                used.add(match[2])
                in_condition = re.search(r"\{%-?\s*(if|elif)\s+$", line[:match.start()])
                if match[1] == "var" and not in_condition:
                    bare.setdefault(match[2], path.name)
    assert used <= set(SCHEMA)
    assert set(bare) <= BARE_VARS, f"use number_var / text_var / date_var for {bare}"


def test_a_crafted_value_is_refused_naming_the_var_the_value_and_what_is_allowed():
    with pytest.raises(DbtVarError) as refused:
        check_vars({"churn_definition": CRAFTED}, "CHURN_DBT_VARS")
    message = str(refused.value)
    assert message.startswith("CHURN_DBT_VARS: churn_definition ")
    assert CRAFTED in message and "no_order, no_activity, no_event_of, subscription" in message


@pytest.mark.parametrize("values, named", [
    ({"churn_horizon_days": "30) as x; select 1; --"}, "churn_horizon_days"),
    ({"churn_horizon_days": 30.5}, "not a whole number"),
    ({"holdout_share": 1.5}, "outside 0..1"),
    ({"gross_margin": float("nan")}, "not a finite number"),
    ({"capacity_level_1": True}, "capacity_level_1"),
    ({"as_of_date": "2026-02-30"}, "YYYY-MM-DD"),
    ({"ab_test_name": "a\nb"}, "control characters"),
    ({"churn_event_types": "post"}, "list of event types"),
    ({"reason_families": {"post": "drop table"}}, "not one of experience"),
    ({"churn_horizon": 45}, "did you mean churn_horizon_days"),
])
def test_bad_values_and_unknown_vars_are_refused(values, named):
    with pytest.raises(DbtVarError, match=re.escape(named)):
        check_vars(values, "CHURN_DBT_VARS")


def test_labels_with_apostrophes_and_null_dates_are_values():
    values = {"ab_test_name": "Spring '26 test", "churn_event_types": ["l'achat"], "as_of_date": None,
              "reason_families": {"d'accord": "trust"}, "local_utc_offset_hours": -5.5}
    assert check_vars(values, "CHURN_DBT_VARS") == values


def test_load_settings_refuses_crafted_dbt_vars_by_name(monkeypatch):
    monkeypatch.setenv("CHURN_DBT_VARS", json.dumps({"churn_definition": CRAFTED}))
    with pytest.raises(DbtVarError, match="CHURN_DBT_VARS: churn_definition"):
        load_settings()
    monkeypatch.setenv("CHURN_DBT_VARS", "[1, 2]")
    with pytest.raises(DbtVarError, match="JSON object"):
        load_settings()


def test_make_run_with_a_crafted_setting_starts_nothing(monkeypatch, tmp_path, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("CHURN_DATA_DIR", str(data))
    monkeypatch.setenv("CHURN_DBT_VARS", json.dumps({"churn_definition": CRAFTED}))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setattr(sys, "argv", ["pipeline.cli", "run"])
    assert cli.main() == cli.EXIT_BAD_SETTINGS
    assert "Not started: CHURN_DBT_VARS: churn_definition" in capsys.readouterr().err
    assert not data.exists()  # no Dagster run, no warehouse, no table


def test_a_mapping_with_a_crafted_churn_value_names_the_file_and_key(tmp_path):
    mapping = yaml.safe_load(DEFAULT_MAPPING_FILE.read_text())
    path = tmp_path / "crafted.yml"
    path.write_text(yaml.safe_dump({**mapping, "churn": {"definition": CRAFTED}}))
    with pytest.raises(MappingError, match=re.escape(f"{path}: churn.definition")):
        load_mapping(path)
    path.write_text(yaml.safe_dump({**mapping, "churn": {"horizon_days": "45; drop table x"}}))
    with pytest.raises(MappingError, match="churn.horizon_days .* is not a whole number"):
        load_mapping(path)


def test_per_run_vars_are_checked_too(tmp_path):
    settings = Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE),
                        dbt_vars=json.dumps({"ab_test_name": "Spring '26 test"}))
    assert json.loads(settings.dbt_vars_with(as_of_date="2026-03-01"))["ab_test_name"] == "Spring '26 test"
    with pytest.raises(DbtVarError, match="as_of_date"):
        settings.dbt_vars_with(as_of_date="2026-03-01' or 1=1")


def test_a_definition_missing_the_var_it_needs_is_refused_before_the_run(tmp_path):
    settings = Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE),
                        dbt_vars=json.dumps({"churn_definition": "no_event_of"}))
    with pytest.raises(DbtVarError, match="no_event_of needs churn_event_types"):
        settings.dbt_vars_with()
