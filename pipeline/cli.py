"""`python -m pipeline.cli run|summary|delete-users`: what `make run` calls.

`run` loads, as ONE Dagster run over the partition range (raw_events and the daily dbt models
have a single-run backfill policy), every landing day that no run has loaded successfully,
whose last run failed, or whose files changed since it was loaded. The run is recorded in the
Dagster instance under $DAGSTER_HOME (default <data>/dagster_home) like any other run. With
nothing to do it does nothing.

One `run` at a time per data folder (pipeline/run_guard.py): a second one exits at once with
status 75. `delete-users` applies the deletion requests of <data>/landing/deletions/ (README,
"Deleting a user") under the same lock. Before picking days, runs left in flight by a killed process are marked failed and
their pool slots freed, so a crash never blocks the next run and its days are redone.
"""

import argparse
import os
import shutil
import sys
import warnings
from pathlib import Path

from pipeline.dbt.vars import DbtVarError
from pipeline.raw.mapping import MappingError
from pipeline.run_guard import RunInProgress, exclusive_run, private_dir
from pipeline.run_log import details_to, new_log_path, run_loggers
from pipeline.settings import REPO_ROOT, Settings, load_settings

EXIT_RUN_IN_PROGRESS = 75  # EX_TEMPFAIL: try again later
EXIT_BAD_SETTINGS = 78  # EX_CONFIG: fix the setting named in the message


def run(settings: Settings) -> int:
    """Under the run lock: clean up after dead runs, pick the days, run them, print the summary.
    The terminal gets a line per step; the details go to a log file (pipeline/run_log.py),
    kept when a job ran."""
    log_path = new_log_path(settings.root)
    with details_to(log_path) as terminal:
        status, ran = _run(settings, terminal)
    if status == 0:
        from pipeline.summary import print_summary

        print_summary(settings)  # still under the lock: it reads the warehouse
    if ran:
        print(f"Details of this run: {log_path}")
    else:
        log_path.unlink(missing_ok=True)
    return status


def _run(settings: Settings, terminal) -> tuple[int, bool]:
    """(exit status, whether a job ran); stdout and stderr go to the log file here."""
    import dagster as dg

    from pipeline.alerts import LAUNCHED_BY, failure_alert, write_alert
    from pipeline.jobs import JOB_NAME, daily_partitions, landing_days_to_run, run_tags
    from pipeline.raw.read import landing_days
    from pipeline.run_guard import sweep_dead_runs

    # The instance's pool-wait handler (pipeline/pool_wait.py) is "beta" yaml logging config: no need to say so.
    warnings.filterwarnings("ignore", message="Handling yaml-defined logging", category=dg.BetaWarning)
    instance = dg.DagsterInstance.get()
    for line in sweep_dead_runs(instance):
        print(line, file=terminal)
    days = landing_days_to_run(instance, daily_partitions(settings), settings)
    if not days and settings.serving_db.exists():
        print("Every landing day is loaded, the last run succeeded and the serving file is published: nothing to do.",
              file=terminal)
        return 0, False
    if not days:  # loaded, but the serving file is missing: redo the latest day end to end
        loaded = landing_days(settings.landing_events)
        if not loaded:
            print(f"No landing day in {settings.landing_events}: nothing to load.", file=terminal)
            return 1, False
        days = [loaded[-1]]
    print(f"Running daily_pipeline over {days[0]}...{days[-1]} as one run "
          f"({len(days)} landing days new, changed or not loaded successfully)", file=terminal, flush=True)
    # Loaded only now: importing the definitions (dbt, scikit-learn, MLflow) is most of the
    # time of a run with nothing to do.
    from pipeline.definitions import defs

    loggers, logger_config = run_loggers(terminal)
    result = defs.resolve_job_def(JOB_NAME).with_logger_defs(loggers).execute_in_process(
        instance=instance, tags={**run_tags(settings, days), LAUNCHED_BY: "cli"}, raise_on_error=False,
        run_config=logger_config,
    )
    if not result.success:
        # Sensors do not run in process: the same alert as the daemon's run-failure sensor.
        run_failure = result.get_run_failure_event()
        alert = failure_alert(result.run_id, JOB_NAME, result.get_step_failure_events(),
                              run_failure.message if run_failure else "")
        path = write_alert(settings, alert)
        print(f"Run {result.run_id} failed at step {alert['failed_step']}: {alert['error'][:300]}\n"
              f"Alert written to {path}; see the log named below or the Dagster UI (make dev). "
              "The next run loads its days again.", file=terminal)
        return 1, True
    return 0, True


def prepare_dagster_home(settings: Settings) -> None:
    """The data folder and the Dagster home, owner-only, with the instance settings of pipeline/dagster.yaml."""
    private_dir(settings.root)
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))  # never a throwaway instance
    home = Path(os.environ["DAGSTER_HOME"])
    private_dir(home)
    if not (home / "dagster.yaml").exists():  # `make setup` copies it; a bare `python -m pipeline.cli run` too
        shutil.copyfile(REPO_ROOT / "pipeline" / "dagster.yaml", home / "dagster.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "summary", "delete-users"])
    parser.add_argument("--requested-by", help="delete-users: who asked, for the audit (default: the OS user)")
    args = parser.parse_args()
    try:
        settings = load_settings()
        if args.command == "run":
            settings.dbt_vars_with()  # the mapping's vars too: a bad setting never starts a run
    except (DbtVarError, MappingError) as err:
        print(f"Not started: {err}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if args.command == "summary":
        from pipeline.summary import print_summary

        print_summary(settings)
        return 0
    prepare_dagster_home(settings)
    try:
        with exclusive_run(settings.root):
            if args.command == "delete-users":
                from pipeline.privacy.command import delete_users

                return delete_users(settings, args.requested_by)
            return run(settings)
    except RunInProgress as err:
        print(f"Not started: {err}", file=sys.stderr)
        return EXIT_RUN_IN_PROGRESS


if __name__ == "__main__":
    sys.exit(main())
