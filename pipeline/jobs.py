"""The daily job, its schedule, and the sensor that reacts to new landing folders."""

import hashlib

import dagster as dg

from pipeline.raw.read import landing_days
from pipeline.settings import Settings

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def build_daily_job():
    # Partitioned like raw_events; the unpartitioned assets run once per run.
    return dg.define_asset_job(
        "daily_pipeline", selection=dg.AssetSelection.all(),
        description="Load a landing day, rebuild features, train, score, segment and publish.",
    )


def build_schedule(job) -> dg.ScheduleDefinition:
    # Runs at 02:00 UTC for yesterday's partition (the latest complete day).
    return dg.build_schedule_from_partitioned_job(job, hour_of_day=2, name="daily_pipeline_schedule")


def unloaded_landing_days(instance: dg.DagsterInstance, partitions: dg.PartitionsDefinition, settings: Settings) -> list[str]:
    """Landing days that are partitions of the job but have no raw_events materialization yet."""
    known = set(partitions.get_partition_keys(dynamic_partitions_store=instance))
    loaded = instance.get_materialized_partitions(dg.AssetKey("raw_events"))
    return [d for d in landing_days(settings.landing_events) if d in known and d not in loaded]


def build_landing_sensor(job, partitions: dg.PartitionsDefinition) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=60, name="new_landing_day_sensor")
    def new_landing_day_sensor(context: dg.SensorEvaluationContext, settings: Settings):
        """One run over the landing days not loaded yet (a single run even for many days)."""
        new_days = unloaded_landing_days(context.instance, partitions, settings)
        if not new_days:
            return dg.SkipReason("no landing day that is not loaded yet")
        first, last = new_days[0], new_days[-1]
        tags = {RANGE_START: first, RANGE_END: last}
        run_key = f"{first}...{last}:{_fingerprint(settings, new_days)}"
        return dg.RunRequest(run_key=run_key, tags=tags)

    return new_landing_day_sensor


def _fingerprint(settings: Settings, days: list[str]) -> str:
    """Changes when files are added to a pending day, so a half-delivered day is re-run."""
    entries = sorted(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for day in days for p in (settings.landing_events / f"date={day}").glob("*")
    )
    return hashlib.sha1("\n".join(entries).encode()).hexdigest()[:12]
