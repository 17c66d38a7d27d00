"""The customer_value asset on a hand-made warehouse: one row per user of the latest date, and a
re-run replaces that date instead of doubling it."""

import datetime as dt

import dagster as dg
import duckdb
import numpy as np
import pytest
from dagster_duckdb import DuckDBResource

from pipeline.model.customer_value import customer_value

DATES = ["2026-03-01", "2026-03-31"]  # the asset must use only the latest

# user_features as dbt builds it from the user-days (purchase columns null before a first order).
USER_FEATURES_SQL = """
create table main.user_features as
select days.user_id, dates.as_of_date,
       date_diff('day', min(days.activity_date), dates.as_of_date) as tenure_days,
       nullif(count(*) filter (where days.orders > 0), 0) - 1 as repeat_order_days,
       date_diff('day', min(days.activity_date) filter (where days.orders > 0),
                 max(days.activity_date) filter (where days.orders > 0)) as first_to_last_order_days,
       date_diff('day', min(days.activity_date) filter (where days.orders > 0), dates.as_of_date) as first_order_age_days
from main.int_user_days_aggregated as days
inner join (select unnest(?::date[]) as as_of_date) as dates on days.activity_date <= dates.as_of_date
group by days.user_id, dates.as_of_date
"""


@pytest.fixture
def warehouse(tmp_path):
    """60 users over 120 days: most order now and then, every fifth only browses."""
    rng = np.random.default_rng(0)
    start, rows = dt.date(2025, 12, 1), []
    for i in range(60):
        first = rng.integers(0, 60)
        for day in sorted({first, *rng.integers(first, 120, 8)}):
            orders = 0 if i % 5 == 0 else int(rng.random() < 0.6)
            value = round(float(rng.gamma(4, 10)), 2) if orders else None
            rows.append((f"u{i:02d}", start + dt.timedelta(days=int(day)), orders, value))
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table main.int_user_days_aggregated "
                    "(user_id varchar, activity_date date, orders integer, order_value decimal(18, 2))")
        con.executemany("insert into main.int_user_days_aggregated values (?, ?, ?, ?)", rows)
        con.execute(USER_FEATURES_SQL, [DATES])
    return path


def materialize(path, **config):
    # A live instance of its own: after other tests, Dagster's global state can point at a
    # dead one ("undefined DagsterInstance weakref").
    with dg.instance_for_test() as instance:
        return dg.materialize([customer_value], resources={"duckdb": DuckDBResource(database=str(path))},
                              run_config={"ops": {"customer_value": {"config": config}}}, instance=instance)


def test_writes_one_row_per_user_of_the_latest_date_and_reruns_replace(warehouse):
    first = materialize(warehouse)
    assert first.success
    materialize(warehouse, horizon_days=30)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        users = con.execute(f"select count(*) from main.user_features where as_of_date = '{DATES[-1]}'").fetchone()[0]
        rows, distinct_users, dates, horizons = con.execute(
            "select count(*), count(distinct user_id), count(distinct as_of_date), max(horizon_days) "
            "from ml.customer_value").fetchone()
        never_value, buyer_value = con.execute("""
            select avg(value.expected_order_value) filter (where features.repeat_order_days is null),
                   min(value.expected_future_value) filter (where features.repeat_order_days is not null)
            from ml.customer_value as value inner join main.user_features as features using (user_id, as_of_date)
        """).fetchone()
    assert rows == distinct_users == users and dates == 1 and horizons == 30
    assert never_value > 0 and buyer_value > 0
    metadata = first.asset_materializations_for_node("customer_value")[0].metadata
    assert metadata["users"].value == users and metadata["as_of_date"].value == DATES[-1]
    assert metadata["estimator"].value == "bgnbd+gamma_gamma"
    assert {"r", "alpha", "a", "b", "p", "q", "gamma"} <= set(metadata["parameters"].value)
