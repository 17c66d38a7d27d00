import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _no_telemetry():
    # Keep tests off the network and the user's home folder.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
