import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipeline.definitions import build_definitions
from pipeline.jobs import RANGE_END, RANGE_START
from pipeline.settings import DEFAULT_MAPPING_FILE, Settings


@pytest.fixture(autouse=True, scope="session")
def _no_telemetry():
    # Keep tests off the network and the user's home folder.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def pytest_collection_modifyitems(items):
    """The Spark module first: it is the longest (the same log on two engines, several minutes).
    `make test` hands modules to its two workers in collection order (--no-loadscope-reorder);
    started last, Spark ran alone on one worker while the other sat idle."""
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)  # stable: the rest keep their order


# The test logs are 60-100 days long: the default 60-day horizon would leave them too few
# matured observation dates to train on, so they look 30 days ahead unless a test says otherwise.
SHORT_LOG_VARS = {"churn_horizon_days": 30}


class PipelineRunner:
    """The real definitions on a data folder of their own, with a Dagster instance on disk."""

    def __init__(self, data_dir, mapping_file=DEFAULT_MAPPING_FILE, dbt_vars="{}", engine="duckdb"):
        self.settings = Settings(data_dir=str(data_dir), mapping_file=str(mapping_file), first_day="2026-01-01",
                                 dbt_vars=json.dumps({**SHORT_LOG_VARS, **json.loads(dbt_vars)}), engine=engine)
        self.defs = build_definitions(self.settings)
        (data_dir / "dagster_home").mkdir(exist_ok=True)
        self._instance_cm = dg.instance_for_test(temp_dir=str(data_dir / "dagster_home"))
        self.instance = self._instance_cm.__enter__()

    def run(self, first: str, last: str, raise_on_error: bool = True, diagnostics: bool = True,
            steps: tuple[str, ...] | None = None, dbt_tests: bool = True):
        """The daily job over [first, last]; with `steps` (asset names such as dbt_daily_models),
        only their assets. With steps or without `dbt_tests`, dbt builds the models and runs
        none of its tests; the other checks of the chosen assets stay."""
        os.environ["CHURN_DATA_DIR"] = self.settings.data_dir  # dbt's profile reads it
        job = self.defs.resolve_job_def("daily_pipeline")
        if steps is not None or not dbt_tests:
            assets = [a for a in self.defs.assets if isinstance(a, dg.AssetsDefinition)]
            chosen = [a for a in assets if steps is None or a.op.name in steps]
            assert steps is None or {a.op.name for a in chosen} == set(steps), \
                f"no such steps: {set(steps) - {a.op.name for a in chosen}}"
            dbt_tests_keys = {key for a in assets if a.op.name.startswith("dbt_") for key in a.check_keys}
            graph = job.asset_layer.asset_graph
            job = job.get_subset(
                asset_selection={key for a in chosen for key in a.keys} & set(graph.executable_asset_keys),
                asset_check_selection={key for a in chosen for key in a.check_keys} & set(graph.asset_check_keys) - dbt_tests_keys,
            )
        return job.execute_in_process(
            instance=self.instance, tags={RANGE_START: first, RANGE_END: last}, raise_on_error=raise_on_error,
            run_config={"ops": {"churn_model": {"config": {"diagnostics": diagnostics}}}} if steps is None else {},
        )

    def close(self):
        self._instance_cm.__exit__(None, None, None)


@pytest.fixture(scope="module")
def pipeline_runner():
    runners = []

    def make(data_dir, **kwargs):
        runners.append(PipelineRunner(data_dir, **kwargs))
        return runners[-1]

    yield make
    # Last made, first closed: each instance resets Dagster's current defs-state storage to the
    # one before it, so closing in creation order left a closed instance's storage current,
    # and a later module's Definitions failed ("undefined DagsterInstance weakref").
    for runner in reversed(runners):
        runner.close()
    os.environ.pop("CHURN_DATA_DIR", None)


# Run by DuckDB 1.x: every table's rows, and every comment on tables and columns.
READ_WITH_DUCKDB1 = """
import duckdb, json, sys
with duckdb.connect(sys.argv[1], read_only=True) as con:
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
    print(json.dumps({
        "version": duckdb.__version__,
        "rows": {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables},
        "comments": {t: con.execute("select comment from duckdb_tables() where table_name = ?", [t]).fetchone()[0] for t in tables},
        "column_comments": {t: dict(con.execute("select column_name, comment from duckdb_columns() where table_name = ?", [t]).fetchall()) for t in tables},
    }))
"""


@pytest.fixture(scope="session")
def duckdb1_reader():
    """Reads a DuckDB file as BI tools that have not moved to 2.x do: with the newest DuckDB
    1.x from the registry, in a separate environment made once in .cache/duckdb1 by uv.
    Returns read(path) -> {version, rows, comments, column_comments}."""
    repo = Path(__file__).resolve().parents[1]
    env_dir, uv = repo / ".cache" / "duckdb1", repo / ".tools" / "bin" / "uv"
    python = env_dir / "bin" / "python"
    env_dir.parent.mkdir(exist_ok=True)
    with open(env_dir.parent / "duckdb1.lock", "a") as lock:  # xdist workers share the environment
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not python.exists():
            subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, env_dir], check=True)
        # --upgrade asks the registry every session, so the newest 1.x is the one tested.
        install = subprocess.run([uv, "pip", "install", "--quiet", "--upgrade", "--python", python, "duckdb<2"],
                                 capture_output=True, text=True)
    has_client = subprocess.run([python, "-c", "import duckdb"], capture_output=True).returncode == 0
    if install.returncode != 0 and not has_client:
        if any(word in install.stderr for word in ("Failed to fetch", "error sending request", "dns error", "timed out")):
            pytest.skip(f"the package registry is unreachable, so DuckDB 1.x cannot be installed: {install.stderr.strip()}")
        raise RuntimeError(f"installing duckdb<2 into {env_dir} failed:\n{install.stderr}")

    def read(path) -> dict:
        result = subprocess.run([python, "-c", READ_WITH_DUCKDB1, str(path)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"DuckDB 1.x cannot read {path}:\n{result.stderr}"
        return json.loads(result.stdout)

    return read
