"""`python -m pipeline.cli run|summary`: what `make run` calls.

`run` loads every landing day that is not loaded yet as ONE Dagster run over the partition
range (raw_events and the daily dbt models have a single-run backfill policy), recorded in
the Dagster instance under $DAGSTER_HOME like any other run. With nothing new it does nothing.
"""

import argparse
import sys

import dagster as dg

from pipeline.definitions import defs
from pipeline.jobs import RANGE_END, RANGE_START, unloaded_landing_days
from pipeline.raw.read import landing_days
from pipeline.settings import load_settings
from pipeline.summary import print_summary


def run() -> int:
    settings = load_settings()
    instance = dg.DagsterInstance.get()
    partitions = defs.resolve_job_def("daily_pipeline").partitions_def
    days = unloaded_landing_days(instance, partitions, settings)
    if not days and settings.serving_db.exists():
        print("Every landing day is loaded and the serving file is published: nothing to do.")
        return 0
    if not days:  # loaded before, but a later step failed: redo the latest day end to end
        days = [landing_days(settings.landing_events)[-1]]
    print(f"Running daily_pipeline over {days[0]}...{days[-1]} as one run ({len(days)} days to load)")
    result = defs.resolve_job_def("daily_pipeline").execute_in_process(
        instance=instance, tags={RANGE_START: days[0], RANGE_END: days[-1]}, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},  # the UI keeps the full log
    )
    if not result.success:
        print(f"Run {result.run_id} failed; open the Dagster UI (make dev) to see which step and why.", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "summary"])
    args = parser.parse_args()
    status = run() if args.command == "run" else 0
    if status == 0:
        print_summary(load_settings())
    return status


if __name__ == "__main__":
    sys.exit(main())
