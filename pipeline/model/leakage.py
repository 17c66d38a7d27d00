"""The leakage check: features recomputed without the future must not change.

For one observation date D, the raw events up to the end of D (and the subscriptions as they
stood on D) are copied to a throw-away database, dbt rebuilds every feature model there for
the one date D (as_of_date = D and no history of observation dates: the cost of one date, not
of the whole spine), and a sample of users' training rows is compared column by column with
the working database. Any difference means
some feature read an event after its observation date. Labels look forward by design and are
left out.

The rebuild reads half the log, so it does not run every day: only when what computes the
features changed (their fingerprint, pipeline/dbt/feature_definition.py), when the last
rebuild is `every_days` old (by data date), after a failure, or on request. A leak comes from
the SQL; the same SQL over one more day of events does not start leaking. Other runs pass,
saying which rebuild they rely on.
"""

import datetime as dt
import json

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from pipeline.dbt import feature_definition
from pipeline.dbt.project import dbt_project
from pipeline.model import training_set
from pipeline.settings import Settings

LABEL_COLUMNS = {"churned", "label_mature"}
SAMPLE_USERS = 300
CHECK_KEY = dg.AssetCheckKey(dg.AssetKey("churn_training_set"), "features_use_no_future_events")


class LeakageCheckConfig(dg.Config):
    every_days: int = 7  # rebuild at least this often (by data date) with an unchanged feature definition; 0 = every run
    force: bool = False  # rebuild on this run whatever the schedule says


def rebuild_reason(last: dict | None, definition: str, today: dt.date, config: LeakageCheckConfig) -> str | None:
    """Why the check must rebuild today, or None when the last passing rebuild still holds.
    `last`: the metadata of the latest passing evaluation (None if there is none)."""
    if config.force:
        return "requested"
    if last is None or "rebuilt_on" not in last:
        return "no passing rebuild on record"
    if last.get("feature_definition") != definition:
        return "the feature definition changed"
    age = (today - dt.date.fromisoformat(last["rebuilt_on"])).days
    if not 0 <= age < config.every_days:
        return f"the last rebuild ({last['rebuilt_on']}) is {age} day(s) from the latest date {today}"
    return None


@dg.asset_check(
    asset="churn_training_set", blocking=True, name="features_use_no_future_events",
    description="Rebuilds the features of one observation date from events up to that date only; fails on any "
                "difference. Rebuilds when the feature definition changed or weekly; other runs rely on the last rebuild.",
)
def features_use_no_future_events(context: dg.AssetCheckExecutionContext, config: LeakageCheckConfig,
                                  settings: Settings, duckdb: DuckDBResource, dbt: DbtCliResource) -> dg.AssetCheckResult:
    definition = feature_definition.fingerprint(settings)
    with duckdb.get_connection() as con:
        dates = training_set.observation_dates(con)
    last = _last_passing(context.instance, context.run.run_id)
    reason = rebuild_reason(last, definition, dates[-1], config)
    if reason is None:
        context.log.info(f"not rebuilt: the feature definition passed its rebuild on {last['rebuilt_on']}")
        return dg.AssetCheckResult(passed=True, metadata={
            "rebuilt": False, "feature_definition": definition, "rebuilt_on": last["rebuilt_on"],
            "as_of_date": last.get("as_of_date", ""), "reason": f"feature definition unchanged since its rebuild on "
                                                               f"{last['rebuilt_on']} (every {config.every_days} days)"})
    context.log.info(f"rebuilding: {reason}")
    cut_db = settings.root / "leakage_check.duckdb"
    cut_db.unlink(missing_ok=True)
    as_of = dates[len(dates) // 2]
    with duckdb.get_connection() as con:
        con.execute(f"attach '{cut_db}' as cut")
        con.execute("create schema cut.raw")
        con.execute("create table cut.raw.events as select * from raw.events where cast(event_time as date) <= ?", [as_of])
        # Subscriptions as they stood on D: started by then, an end only if it had come.
        con.execute("""create table cut.raw.subscriptions as
            select * replace (case when end_date <= $as_of then end_date end as end_date)
            from raw.subscriptions where start_date <= $as_of""", {"as_of": as_of})
        con.execute("detach cut")
    dbt.cli(["build", "--target", "leakage", "--select", "+churn_training_set", "--resource-type", "seed",
             "--resource-type", "model",
             # Only date D's features: a date's features do not depend on the other dates'.
             "--vars", settings.dbt_vars_with(as_of_date=str(as_of), observation_history_days=0)],
            manifest=dbt_project.manifest_path, target_path=settings.root / "dbt_target_leakage").wait()
    with duckdb.get_connection() as con:
        con.execute(f"attach '{cut_db}' as cut (read_only)")
        mismatches, compared, not_rebuilt = _compare(con, as_of)
        con.execute("detach cut")
    cut_db.unlink(missing_ok=True)
    leaking = {column: n for column, n in mismatches.items() if n}
    return dg.AssetCheckResult(
        passed=not leaking,
        metadata={"rebuilt": True, "reason": reason, "feature_definition": definition,
                  "rebuilt_on": dates[-1].isoformat(), "as_of_date": str(as_of),
                  "rows_compared": compared, "columns_compared": len(mismatches),
                  "columns_with_differences": json.dumps(leaking) if leaking else "none",
                  "columns_not_in_rebuild": ", ".join(not_rebuilt) or "none"},
    )


def _last_passing(instance: dg.DagsterInstance, run_id: str) -> dict | None:
    """The metadata of this check's latest evaluation before this run, if it passed (a failure
    must be rebuilt). This run's own evaluation is already on record, as planned."""
    history = instance.event_log_storage.get_asset_check_execution_history(CHECK_KEY, limit=5)
    record = next((r for r in history if r.run_id != run_id), None)
    if record is None or record.status != AssetCheckExecutionRecordStatus.SUCCEEDED or record.event is None:
        return None
    evaluation = record.event.dagster_event.event_specific_data
    return {key: value.value for key, value in evaluation.metadata.items()}


def _compare(con, as_of) -> tuple[dict[str, int], int, list[str]]:
    """Per feature column, how many sampled rows differ (a row missing from the rebuild counts),
    and the columns the rebuild does not have.

    Which event types get per-type columns depends on their frequency in the whole log
    (int_event_types_ranked), so the rebuild from a shorter log may rank another type in:
    that changes the schema, not any row's values, and those columns are listed, not failed.
    """
    types = {r[0]: r[1] for r in con.execute("describe main.churn_training_set").fetchall()
             if r[0] not in LABEL_COLUMNS | {"user_id", "as_of_date"}}
    rebuilt = {r[0] for r in con.execute("describe cut.main.churn_training_set").fetchall()}
    not_rebuilt = [c for c in types if c not in rebuilt]
    columns = [c for c in types if c in rebuilt]
    differs = ", ".join(
        f"sum(case when {_equal(c, types[c])} then 0 else 1 end) as {c}" for c in columns
    )
    sql = f"""
        with sample as (
            select * from main.churn_training_set where as_of_date = $as_of
            order by hash(user_id) limit {SAMPLE_USERS}
        )
        select count(*) as n_rows, sum(case when cut.user_id is null then 1 else 0 end) as missing_from_rebuild,
            {differs}
        from sample as work
        left join cut.main.churn_training_set as cut
            on cut.user_id = work.user_id and cut.as_of_date = work.as_of_date
    """
    row = con.execute(sql, {"as_of": as_of}).fetchone()
    return dict(zip(["missing_from_rebuild", *columns], row[1:])), row[0], not_rebuilt


def _equal(column: str, data_type: str) -> str:
    exact = f"work.{column} is not distinct from cut.{column}"
    if data_type not in ("DOUBLE", "FLOAT"):
        return exact
    # Doubles get a relative tolerance: their last bits depend on summation order.
    return f"({exact} or abs(work.{column} - cut.{column}) <= 1e-9 * greatest(1, abs(work.{column})))"
