"""The `user_deletions` asset: applies the deletion requests in landing/deletions/.

It runs last in every daily run (after the serving publish, which it rewrites), so a request
dropped into the folder is applied by the next run at the latest; the `delete_users` job runs
it alone, from the UI, and `python -m pipeline.cli delete-users` without Dagster.
"""

import getpass

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipeline.privacy.apply import apply_pending_requests
from pipeline.settings import Settings

DELETION_JOB = "delete_users"


class DeletionConfig(dg.Config):
    requested_by: str = ""  # who asked for the deletion, for the audit; empty = the OS user running it


@dg.asset(
    group_name="privacy",
    deps=["serving"],
    pool="duckdb",
    kinds={"duckdb", "parquet"},
    description=(
        "Users of the deletion request files (landing/deletions/*.csv) removed from every warehouse "
        "table, the serving file and Parquet, and suppressed from later loads; one audit row per "
        "request in privacy.deletion_audit."
    ),
)
def user_deletions(context: dg.AssetExecutionContext, config: DeletionConfig, settings: Settings,
                   duckdb: DuckDBResource) -> dg.MaterializeResult:
    requested_by = config.requested_by or f"{getpass.getuser()} (Dagster run {context.run.run_id})"
    outcome = apply_pending_requests(duckdb.get_connection, settings, requested_by)
    for request in outcome.applied:
        context.log.info(str(request))
    if outcome.refused:  # the good requests are applied; the step fails so that the bad files are seen
        raise dg.Failure("Deletion request file(s) refused, nothing of them applied:\n" + "\n".join(outcome.refused))
    applied = outcome.applied
    return dg.MaterializeResult(metadata={
        "requests_applied": len(applied),
        "users_deleted": sum(request.users for request in applied),
        "see": "privacy.deletion_audit",
    })


delete_users_job = dg.define_asset_job(
    DELETION_JOB, selection=dg.AssetSelection.assets(user_deletions),
    description="Apply the deletion requests of landing/deletions/ now, without a daily run.",
)
