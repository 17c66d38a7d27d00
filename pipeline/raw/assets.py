"""The `raw_events` asset: one daily partition = one landing folder, loaded idempotently."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.privacy.loading import drop_suppressed_events
from pipeline.privacy.suppression import load_suppression
from pipeline.raw.load import DayLoad, prepare_day, write_day
from pipeline.raw.mapping import load_mapping
from pipeline.raw.read import ignored_files
from pipeline.settings import Settings

REJECTED_SHARE_CHECK = "rejected_share_below_threshold"


class RawEventsConfig(dg.Config):
    max_rejected_share: float = 0.05  # the asset check fails above this share of rows read
    # An event may be this many days after its landing day (late clocks, time zones); later ones are rejected.
    future_tolerance_days: int = 1


def build_raw_events(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        name="raw_events",
        group_name="raw",
        partitions_def=partitions,
        # A backfill of many days is one run (and one DuckDB connection), not one run per day.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        kinds={"duckdb", "python"},
        check_specs=[dg.AssetCheckSpec(REJECTED_SHARE_CHECK, asset="raw_events")],
        description="Landing files of each day, mapped to the event contract and validated, in raw.events.",
    )
    def raw_events(
        context: dg.AssetExecutionContext, config: RawEventsConfig, settings: Settings, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        mapping = load_mapping(settings.mapping_file)
        suppression = load_suppression(settings.root)  # users who asked to be deleted never come back
        loads: list[DayLoad] = []
        with duckdb.get_connection() as con:
            for day in context.partition_keys:
                for path in ignored_files(settings.landing_events, day):
                    context.log.warning(f"{day}: not read (hidden or marker file): {path}")
                prepared = prepare_day(settings.landing_events, day, mapping, first_day=settings.reject_before or None,
                                       tolerance_days=config.future_tolerance_days)
                stats = write_day(con, drop_suppressed_events(prepared, suppression))
                loads.append(stats)
                context.log.info(f"{day}: {stats}")
        return _result(loads, config.max_rejected_share)

    return raw_events


def _result(loads: list[DayLoad], max_share: float) -> dg.MaterializeResult:
    totals = {
        field: sum(getattr(load, field) for load in loads)
        for field in ("files", "rows_read", "rows_loaded", "rows_rejected", "duplicates_dropped", "conflicts", "rows_suppressed")
    }
    share = totals["rows_rejected"] / totals["rows_read"] if totals["rows_read"] else 0.0
    worst = max(loads, key=lambda load: load.rows_rejected, default=None)
    check = dg.AssetCheckResult(
        check_name=REJECTED_SHARE_CHECK,
        passed=share <= max_share,
        metadata={"rejected_share": share, "max_rejected_share": max_share,
                  "worst_day": worst.day if worst else "", "see": "raw.events_rejected"},
    )
    return dg.MaterializeResult(
        metadata={**totals, "days": len(loads), "rejected_share": share}, check_results=[check]
    )
