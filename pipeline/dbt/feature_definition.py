"""When the kept features must be recomputed.

Features as of a past observation date are computed once and kept (the incremental models in
dbt_project/models/features/per_date). They stay right only while what computes them stays
the same: the dbt vars and the SQL of the staging, intermediate and feature models, the macros
and the seeds. Their fingerprint is kept in the warehouse after each features build; a build
that finds another one (or none: a first build, or a warehouse from before) runs dbt with
--full-refresh, which recomputes every observation date.
"""

import hashlib

import duckdb

from pipeline.retries import retry_if_transient
from pipeline.settings import DBT_PROJECT_DIR, Settings

SOURCES = ("models/staging", "models/intermediate", "models/features", "macros", "seeds")
TABLE = "main.feature_definition"


def fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256(settings.dbt_vars_with().encode() + (DBT_PROJECT_DIR / "dbt_project.yml").read_bytes())
    for folder in SOURCES:
        for path in sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.suffix in (".sql", ".csv", ".yml")):
            digest.update(path.relative_to(DBT_PROJECT_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def stored(settings: Settings) -> str | None:
    """The fingerprint of the last successful features build, None if there is none."""
    if not settings.warehouse.exists():
        return None
    with retry_if_transient(), duckdb.connect(str(settings.warehouse), config=settings.duckdb_config()) as con:
        found = con.execute("select table_name from information_schema.tables "
                            "where table_schema = 'main' and table_name = 'feature_definition'").fetchone()
        return con.execute(f"select fingerprint from {TABLE}").fetchone()[0] if found else None


def store(settings: Settings, value: str) -> None:
    with retry_if_transient(), duckdb.connect(str(settings.warehouse), config=settings.duckdb_config()) as con:
        con.execute(f"create or replace table {TABLE} as select ? as fingerprint, current_timestamp as built_at", [value])
