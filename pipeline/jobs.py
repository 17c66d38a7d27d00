"""The daily job, its schedule, and the sensor that reacts to new landing folders."""

import hashlib
import json

import dagster as dg

from pipeline.raw.read import landing_days
from pipeline.settings import Settings

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
PARTITION = "dagster/partition"
# Run tag: {landing day: fingerprint of its files} when the run was launched, so a later run
# sees which loaded days have changed since.
FINGERPRINTS = "churn/landing_fingerprints"
JOB_NAME = "daily_pipeline"

# A run in one of these is being (or about to be) worked on; `pipeline.cli run` fails or
# cancels the ones a dead process left before it picks days (pipeline/run_guard.py).
IN_FLIGHT_STATUSES = [
    dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING,
]


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    """raw_events' and the daily dbt models' partitions, one per day from settings.first_day."""
    return dg.DailyPartitionsDefinition(start_date=settings.first_day)


def build_daily_job():
    # Partitioned like raw_events; the unpartitioned assets run once per run.
    return dg.define_asset_job(
        JOB_NAME, selection=dg.AssetSelection.all(),
        description="Load a landing day, rebuild features, train, score, segment and publish.",
    )


def build_schedule(job) -> dg.ScheduleDefinition:
    # Runs at 02:00 UTC for yesterday's partition (the latest complete day).
    return dg.build_schedule_from_partitioned_job(job, hour_of_day=2, name="daily_pipeline_schedule")


def landing_days_to_run(instance: dg.DagsterInstance, partitions: dg.PartitionsDefinition, settings: Settings) -> list[str]:
    """Landing days (partitions of the job) that a `daily_pipeline` run should load, oldest first.

    A day is due when no daily_pipeline run has covered it, when the latest run that covered
    it did not succeed (failed or canceled: raw_events may be loaded but a later step failed,
    so the outputs are stale), or when its files changed since the latest run covering it was
    launched (the fingerprint of names, sizes and mtimes in the run's FINGERPRINTS tag; a run
    without the tag, from before it existed or from the schedule, is trusted). A day covered by
    a run still in flight is left to that run unless its files changed. When the latest run
    covered no landing day and did not succeed, the latest landing day is due, so that a failed
    run is never answered with "nothing to do".
    """
    known = set(partitions.get_partition_keys(dynamic_partitions_store=instance))
    days = [d for d in landing_days(settings.landing_events) if d in known]
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME))  # newest first
    latest: dict[str, dg.DagsterRun] = {}
    for run in runs:
        for day in _days_of(run, days):
            latest.setdefault(day, run)
        if len(latest) == len(days):
            break
    due = []
    for day in days:
        run = latest.get(day)
        if run is None or not _succeeded_or_in_flight(run):
            due.append(day)
        elif (recorded := _recorded_fingerprints(run).get(day)) is not None and recorded != _fingerprint(settings, [day]):
            due.append(day)
    if not due and days and runs and not _succeeded_or_in_flight(runs[0]) and not _days_of(runs[0], days):
        due = [days[-1]]
    return due


# The sensor and `pipeline.cli run` pick days with one function; the old name stays importable.
unloaded_landing_days = landing_days_to_run


def run_tags(settings: Settings, days: list[str]) -> dict[str, str]:
    """Tags of one run over days[0]...days[-1]: the range, and the fingerprint of every landing day in it."""
    first, last = days[0], days[-1]
    in_range = [d for d in landing_days(settings.landing_events) if first <= d <= last]
    fingerprints = {d: _fingerprint(settings, [d]) for d in in_range}
    return {RANGE_START: first, RANGE_END: last, FINGERPRINTS: json.dumps(fingerprints, separators=(",", ":"))}


def _days_of(run: dg.DagsterRun, days: list[str]) -> list[str]:
    """The days among `days` that a run covered (its partition range, or its single partition)."""
    first, last = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
    if first is None or last is None:
        first = last = run.tags.get(PARTITION)
    if first is None:
        return []
    return [d for d in days if first <= d <= last]  # daily keys are ISO dates: text order is date order


def _succeeded_or_in_flight(run: dg.DagsterRun) -> bool:
    return run.status == dg.DagsterRunStatus.SUCCESS or run.status in IN_FLIGHT_STATUSES


def _recorded_fingerprints(run: dg.DagsterRun) -> dict[str, str]:
    try:
        recorded = json.loads(run.tags.get(FINGERPRINTS, "{}"))
    except json.JSONDecodeError:
        return {}
    return recorded if isinstance(recorded, dict) else {}


def build_landing_sensor(job, partitions: dg.PartitionsDefinition) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=60, name="new_landing_day_sensor")
    def new_landing_day_sensor(context: dg.SensorEvaluationContext, settings: Settings):
        """One run over the landing days not loaded yet, changed since, or whose last run failed
        (a single run even for many days)."""
        due = landing_days_to_run(context.instance, partitions, settings)
        if not due:
            return dg.SkipReason("no landing day that is new, changed or whose last run failed")
        tags = run_tags(settings, due)
        run_key = f"{due[0]}...{due[-1]}:{_fingerprint(settings, due)}"
        return dg.RunRequest(run_key=run_key, tags=tags)

    return new_landing_day_sensor


def _fingerprint(settings: Settings, days: list[str]) -> str:
    """Changes when files are added to, changed in or removed from these days' folders."""
    entries = sorted(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for day in days for p in (settings.landing_events / f"date={day}").glob("*")
    )
    return hashlib.sha1("\n".join(entries).encode()).hexdigest()[:12]
