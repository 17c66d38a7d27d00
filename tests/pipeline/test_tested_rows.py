"""A daily run's dbt tests read the rows it wrote: the incremental models' tests are filtered to
the run's landing days and the dates built from them (macros/tested_rows.sql), while the
models rebuilt whole are tested on every row. Checked on the compiled tests (one compile:
dbt parses the project again for a new data folder; a --full-refresh compile, checked by
hand, tests every row)."""

import os
import subprocess
import sys
from pathlib import Path

from pipeline.settings import DBT_PROJECT_DIR

TESTS = {
    "not_null_int_user_days_aggregated_user_id": "activity_date >= cast('2026-12-01' as date)",
    "not_null_user_features_user_id": "as_of_date >= cast('2026-12-01' as date)",
    "not_null_churn_labels_user_id": "as_of_date >= (cast('2026-12-01' as date) + cast(-60 as bigint) * interval 1 day)",
    "unique_int_observation_dates_as_of_date": None,  # a table rebuilt whole: every row
}


def compiled_tests(tmp_path: Path) -> dict[str, str]:
    """The SQL of TESTS as `dbt compile` writes it for a run whose first landing day is 2026-12-01."""
    target = tmp_path / "target"
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "compile", "--select", *TESTS, "--quiet",
                    "--profiles-dir", ".", "--target-path", str(target)], cwd=DBT_PROJECT_DIR, check=True,
                   env={**os.environ, "CHURN_DATA_DIR": str(tmp_path), "CHURN_RUN_START_DATE": "2026-12-01"})
    return {path.stem: " ".join(path.read_text().split()) for path in (target / "compiled").rglob("*.sql")}


def test_a_daily_run_tests_the_rows_of_its_days(tmp_path):
    compiled = compiled_tests(tmp_path)
    assert set(compiled) == set(TESTS)
    for name, where in TESTS.items():
        if where:
            assert f"where {where}) dbt_subquery" in compiled[name], compiled[name]
        else:
            assert "dbt_subquery" not in compiled[name], compiled[name]

