"""dagster-dbt's DbtCliResource without two costs that every run paid for nothing here."""

import importlib.metadata
from collections.abc import Sequence
from functools import cached_property

from dagster_dbt import DbtCliResource
from packaging import version


class ChurnDbtCliResource(DbtCliResource):
    """DbtCliResource, minus:

    - `dbt --version` in a subprocess, to tell dbt-core from dbt Fusion: 3 s of every run, as
      Dagster makes the resource anew for each run. The dbt run here is this environment's
      (dbt_executable), so its version is the installed dbt-core's.
    - a dbt adapter built in this process before every invocation (0.7-1.9 s each), which only
      DbtEventIterator.fetch_column_metadata and fetch_row_counts read; no asset here calls them.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None
