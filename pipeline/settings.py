"""Where the pipeline keeps its files: the one place that reads the environment.

Everything lives under one data folder (default `<repo>/data`) so that a checkout is
self-contained; tests point CHURN_DATA_DIR at a temporary folder instead.
"""

import json
import os
from pathlib import Path

import dagster as dg

from pipeline.raw.mapping import load_mapping

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_MAPPING_FILE = REPO_ROOT / "mappings" / "identity.yml"
FALLBACK_FIRST_DAY = "2025-01-01"  # first partition while nothing has landed yet


class Settings(dg.ConfigurableResource):
    """Paths of the pipeline's files; a Dagster resource so every asset sees the same ones."""

    data_dir: str
    mapping_file: str
    first_day: str = FALLBACK_FIRST_DAY  # first daily partition; history before it is not loaded
    dbt_vars: str = "{}"  # JSON object of dbt var overrides for every dbt run, e.g. {"churn_horizon_days": 45}

    def dbt_vars_with(self, **more) -> str:
        """The --vars argument: what the mapping says of its log (reason families, what churn
        means), then the configured overrides, then per-run ones."""
        mapping = load_mapping(Path(self.mapping_file))
        from_mapping = {"reason_families": mapping.reason_families, **mapping.churn}
        return json.dumps({**from_mapping, **json.loads(self.dbt_vars), **more})

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

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
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

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
        json.loads(dbt_vars)
    except json.JSONDecodeError as err:
        raise ValueError(f"CHURN_DBT_VARS must be a JSON object, got {dbt_vars!r}: {err}") from err
    return Settings(data_dir=str(data_dir), mapping_file=str(mapping), first_day=first_day, dbt_vars=dbt_vars)


def _first_landing_day(data_dir: Path) -> str | None:
    """The partitions start on the first day that landed, so that none is "missing" before the
    data begins. Definitions are built when they are loaded: a day landing before it is seen at
    the next load (`make run` loads them every time; in `make dev`, reload the code location)."""
    days = sorted(p.name.removeprefix("date=") for p in (data_dir / "landing" / "events").glob("date=*") if p.is_dir())
    return days[0] if days else None  # as pipeline.raw.read.landing_days, without importing pandas here
