"""The `raw_subscriptions` asset: the optional subscriptions files, reloaded whole every run."""

from dataclasses import asdict

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.privacy.suppression import load_suppression
from pipeline.raw.subscriptions import load_subscriptions
from pipeline.settings import Settings


@dg.asset(
    group_name="raw",
    # Unpartitioned: the file holds every spell so far, so each run replaces the table.
    pool="duckdb",
    kinds={"duckdb", "python"},
    description=(
        "Subscription spells (user_id, start, end, plan, price) from the optional files under "
        "landing/subscriptions/, in raw.subscriptions; bad rows in raw.subscriptions_rejected. "
        "Empty tables when there is no file."
    ),
)
def raw_subscriptions(context: dg.AssetExecutionContext, settings: Settings, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        load = load_subscriptions(con, settings.landing_subscriptions, load_suppression(settings.root))
    context.log.info(f"{settings.landing_subscriptions}: {load}")
    return dg.MaterializeResult(metadata={**asdict(load), "see": "raw.subscriptions_rejected"})
