"""Expected future value per user (BG/NBD x Gamma-Gamma, ml.clv) on the latest date: the
"value at stake" the action layer multiplies by churn probability and save rate."""

import math

import dagster as dg
import numpy as np
import pandas as pd
from dagster_duckdb import DuckDBResource

from ml.clv import customer_value as estimate_customer_value
from pipeline.model.ledger import replace_dates


class CustomerValueConfig(dg.Config):
    horizon_days: int = 180  # how far ahead future orders are counted
    gross_margin: float = 0.3  # share of revenue kept after cost of goods: the money that can pay for an incentive


# Purchase history of the latest date, and the mean value of each user's repeat order days (the
# first order day is left out, as Gamma-Gamma's m_x is; see ml/clv.py). Values are per order day
# because BG/NBD counts order days.
HISTORY_SQL = """
with latest as (select max(as_of_date) as as_of_date from main.user_features),
order_days as (
    select days.user_id, cast(days.order_value as double) as order_value,
           row_number() over (partition by days.user_id order by days.activity_date) as nth_order_day
    from main.int_user_days_aggregated as days
    where days.orders > 0 and days.activity_date <= (select as_of_date from latest)
),
repeat_values as (
    select user_id, avg(order_value) as mean_order_value
    from order_days where nth_order_day > 1 group by user_id
)
select features.user_id, features.as_of_date, features.repeat_order_days,
       features.first_to_last_order_days, features.first_order_age_days, features.tenure_days,
       repeat_values.mean_order_value
from main.user_features as features
left join repeat_values using (user_id)
where features.as_of_date = (select as_of_date from latest)
order by features.user_id
"""


@dg.asset(
    group_name="model", kinds={"duckdb"}, pool="duckdb",
    deps=[dg.AssetKey("user_features"), dg.AssetKey("int_user_days_aggregated")],
    description="Expected orders, order value, revenue and margin per user over the next horizon_days on the latest date (BG/NBD with Gamma-Gamma); every date is kept in ml.customer_value.",
)
def customer_value(context: dg.AssetExecutionContext, config: CustomerValueConfig,
                   duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        history = con.sql(HISTORY_SQL).df()
    result = estimate_customer_value(history, horizon_days=config.horizon_days, margin=config.gross_margin)
    for reason in result.fallback_reasons:
        context.log.warning(f"customer_value fallback: {reason}")
    values = result.values.assign(as_of_date=history["as_of_date"].to_numpy(), horizon_days=config.horizon_days)
    with duckdb.get_connection() as con:
        write_customer_value(con, values)
    value = values["expected_future_value"]
    return dg.MaterializeResult(metadata={
        "users": len(values), "as_of_date": pd.Timestamp(history["as_of_date"].max()).date().isoformat() if len(values) else "",
        "estimator": result.estimator, "fallback_reasons": "; ".join(result.fallback_reasons) or "none",
        "parameters": dg.MetadataValue.json({k: _finite_or_none(v) for k, v in result.params.items()}),
        "mean_expected_future_value": _finite_or_none(value.mean()),
        "median_expected_future_value": _finite_or_none(value.median()),
    })


def _finite_or_none(value) -> int | float | None:
    """Metadata takes plain numbers, not numpy's, and NaN (a model not fitted, no rows) is not
    valid JSON: report it as null."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


CUSTOMER_VALUE_DDL = """
create schema if not exists ml;
create table if not exists ml.customer_value (
    user_id varchar not null, as_of_date date not null, p_alive double, expected_orders double,
    expected_order_value double, expected_future_revenue double, expected_future_value double,
    horizon_days integer not null, computed_at timestamp not null
);
"""


def write_customer_value(con, values: pd.DataFrame) -> None:
    """Recomputing a date replaces it, so a re-run never doubles rows."""
    replace_dates(con, CUSTOMER_VALUE_DDL, "ml.customer_value", values,
                  "user_id, as_of_date, p_alive, expected_orders, expected_order_value, expected_future_revenue, "
                  "expected_future_value, horizon_days, now()")
