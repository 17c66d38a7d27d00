"""Where the pipeline keeps its files: the one place that reads the environment.

Everything lives under one data folder (default `<repo>/data`) so that a checkout is
self-contained; tests point CHURN_DATA_DIR at a temporary folder instead.
"""

import json
import os
from pathlib import Path

import dagster as dg

from pipeline.dbt.vars import DbtVarError, check_together, check_vars
from pipeline.raw.mapping import load_mapping

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_MAPPING_FILE = REPO_ROOT / "mappings" / "identity.yml"
FALLBACK_FIRST_DAY = "2025-01-01"  # first partition while nothing has landed yet
ENGINES = ("duckdb", "spark")  # CHURN_ENGINE: where dbt builds the models


class Settings(dg.ConfigurableResource):
    """Paths of the pipeline's files; a Dagster resource so every asset sees the same ones."""

    data_dir: str
    mapping_file: str
    first_day: str = FALLBACK_FIRST_DAY  # first daily partition (default: the first landing day)
    # Events before this day are rejected by the loader; set only when CHURN_FIRST_DAY is, since
    # the default first day is merely where the landing folders begin and a folder may hold
    # older events (a first export of the whole history, say).
    reject_before: str = ""
    dbt_vars: str = "{}"  # JSON object of dbt var overrides for every dbt run, e.g. {"churn_horizon_days": 45}
    alert_webhook: str = ""  # URL that failed-run alerts are POSTed to (pipeline/alerts.py); "" = alerts.log only
    # DuckDB's own limits for every connection to the warehouse (Python steps and dbt): beyond
    # the memory limit it spills to duckdb_temp inside the data folder instead of growing, so a
    # run's peak stays near the limit (plus pandas frames and the Python processes themselves).
    duckdb_memory_limit: str = "6GB"
    duckdb_threads: int = 2
    # Where dbt builds the models: "duckdb" (the warehouse file) or "spark" (dbt-spark's session
    # target; README, "Running on Spark"). The Python steps hand dbt its sources as Parquet there.
    engine: str = "duckdb"

    def duckdb_config(self) -> dict[str, str | int]:
        """DuckDB settings of every warehouse connection (dagster-duckdb's connection_config)."""
        return {"memory_limit": self.duckdb_memory_limit, "threads": self.duckdb_threads,
                "temp_directory": str(self.duckdb_temp)}

    def duckdb_env(self) -> dict[str, str]:
        """The same settings for dbt's profile (dbt_project/profiles.yml reads them with env_var)."""
        return {"CHURN_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit, "CHURN_DUCKDB_THREADS": str(self.duckdb_threads)}

    def dbt_vars_with(self, **more) -> str:
        """The --vars argument: what the mapping says of its log (reason families, what churn
        means), then the configured overrides, then per-run ones."""
        mapping = load_mapping(Path(self.mapping_file))
        from_mapping = {"reason_families": mapping.reason_families, **mapping.churn}
        # Values, never SQL: each var against its type and allowed values (pipeline/dbt/vars.py).
        overrides = check_vars(json.loads(self.dbt_vars), "CHURN_DBT_VARS")
        merged = {**from_mapping, **overrides, **check_vars(more, "dbt vars of this run")}
        return json.dumps(check_together(merged, f"dbt vars (mapping {self.mapping_file} + CHURN_DBT_VARS)"))

    @property
    def dbt_target_name(self) -> str:
        """The target of dbt_project/profiles.yml that the engine's models are built in."""
        return "spark" if self.engine == "spark" else "dev"

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def spark_sources(self) -> Path:
        """The sources handed to Spark as Parquet, one folder per table (pipeline/engine/)."""
        return self.root / "spark" / "sources"

    @property
    def spark_models(self) -> Path:
        """Spark's files of the dbt models (schema main of profiles.yml's local warehouse)."""
        return self.root / "spark" / "warehouse" / "main.db"

    @property
    def landing_events(self) -> Path:
        return self.root / "landing" / "events"

    @property
    def landing_users(self) -> Path:
        return self.root / "landing" / "users"

    @property
    def landing_subscriptions(self) -> Path:
        return self.root / "landing" / "subscriptions"

    @property
    def landing_deletions(self) -> Path:
        """Deletion requests: CSV files of user ids (pipeline/privacy/)."""
        return self.root / "landing" / "deletions"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def duckdb_temp(self) -> Path:
        """Where DuckDB spills what does not fit in its memory limit."""
        return self.root / "duckdb_tmp"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for the pipeline's runs: artifacts and the parse they reuse."""
        return self.root / "dbt_target"

    @property
    def serving_db(self) -> Path:
        return self.root / "serving.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.root / "serving"

    @property
    def mlflow_tracking_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("CHURN_DATA_DIR", REPO_ROOT / "data")).resolve()
    mapping = Path(os.environ.get("CHURN_MAPPING_FILE", DEFAULT_MAPPING_FILE)).resolve()
    first_day = os.environ.get("CHURN_FIRST_DAY") or _first_landing_day(data_dir) or FALLBACK_FIRST_DAY
    dbt_vars = os.environ.get("CHURN_DBT_VARS", "{}")
    try:
        check_vars(json.loads(dbt_vars), "CHURN_DBT_VARS")  # refused here, before any run starts
    except json.JSONDecodeError as err:
        raise DbtVarError(f"CHURN_DBT_VARS must be a JSON object, got {dbt_vars!r}: {err}") from err
    threads = os.environ.get("CHURN_DUCKDB_THREADS", "2")
    if not threads.isdigit() or int(threads) < 1:
        raise ValueError(f"CHURN_DUCKDB_THREADS must be a positive whole number, got {threads!r}")
    engine = os.environ.get("CHURN_ENGINE", "duckdb")
    if engine not in ENGINES:
        raise ValueError(f"CHURN_ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")
    return Settings(data_dir=str(data_dir), engine=engine, mapping_file=str(mapping), first_day=first_day, dbt_vars=dbt_vars,
                    duckdb_memory_limit=os.environ.get("CHURN_DUCKDB_MEMORY_LIMIT", "6GB"), duckdb_threads=int(threads),
                    alert_webhook=os.environ.get("CHURN_ALERT_WEBHOOK", ""),
                    reject_before=os.environ.get("CHURN_FIRST_DAY", ""))


def _first_landing_day(data_dir: Path) -> str | None:
    """The partitions start on the first day that landed, so that none is "missing" before the
    data begins. Definitions are built when they are loaded: a day landing before it is seen at
    the next load (`make run` loads them every time; in `make dev`, reload the code location)."""
    days = sorted(p.name.removeprefix("date=") for p in (data_dir / "landing" / "events").glob("date=*") if p.is_dir())
    return days[0] if days else None  # as pipeline.raw.read.landing_days, without importing pandas here
