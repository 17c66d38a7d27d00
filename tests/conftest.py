import json
import os

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


# The test logs are 60-100 days long: the default 60-day horizon would leave them too few
# matured observation dates to train on, so they look 30 days ahead unless a test says otherwise.
SHORT_LOG_VARS = {"churn_horizon_days": 30}


class PipelineRunner:
    """The real definitions on a data folder of their own, with a Dagster instance on disk."""

    def __init__(self, data_dir, mapping_file=DEFAULT_MAPPING_FILE, dbt_vars="{}"):
        self.settings = Settings(data_dir=str(data_dir), mapping_file=str(mapping_file), first_day="2026-01-01",
                                 dbt_vars=json.dumps({**SHORT_LOG_VARS, **json.loads(dbt_vars)}))
        self.defs = build_definitions(self.settings)
        (data_dir / "dagster_home").mkdir(exist_ok=True)
        self._instance_cm = dg.instance_for_test(temp_dir=str(data_dir / "dagster_home"))
        self.instance = self._instance_cm.__enter__()

    def run(self, first: str, last: str, raise_on_error: bool = True, diagnostics: bool = True):
        os.environ["CHURN_DATA_DIR"] = self.settings.data_dir  # dbt's profile reads it
        return self.defs.resolve_job_def("daily_pipeline").execute_in_process(
            instance=self.instance, tags={RANGE_START: first, RANGE_END: last}, raise_on_error=raise_on_error,
            run_config={"ops": {"churn_model": {"config": {"diagnostics": diagnostics}}}},
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
    for runner in runners:
        runner.close()
    os.environ.pop("CHURN_DATA_DIR", None)
