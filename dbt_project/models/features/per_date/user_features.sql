-- Activity, frequency and monetary features per user per observation date (the training
-- spine), strictly as of that date: only user-days at or before as_of_date are read.
-- The spine is every user known at the date (first event at or before it), however long ago
-- they were last seen, as buy-till-you-die models score every customer; windows are fixed
-- (7 / 30 / 90 days) and never decide who is on the spine. spine_max_inactive_days, when set,
-- leaves out users inactive for longer (a size limit, not a definition of churn).
-- Incremental like every model in features/per_date/: each observation date is computed
-- once (macro observation_dates_to_build), reading only the days up to it.
{%- set recent = number_var('warning_recent_days') %}
{%- set baseline = number_var('warning_baseline_days') %}
{%- set dates_sql = observation_dates_to_build() %}
with

dates as (
    {{ dates_sql }}
),

user_days as {{ inlined() }} (
    select * from {{ ref('int_user_days_aggregated') }}
),

first_seen as (
    select user_id, min(activity_date) as first_active_date
    from user_days
    group by user_id
),

spine as (
    select first_seen.user_id, dates.as_of_date
    from dates
    inner join first_seen on first_seen.first_active_date <= dates.as_of_date
),

-- Tenure, last activity and last order look at all history before the date; the rest at
-- trailing windows (macro per_date_aggregates). Days are counted as sums of 1: a count's
-- type differs from a sum's on DuckDB.
history as (
    {{ per_date_aggregates(ref('int_user_days_aggregated'), 'spine', dates_sql, [
        ('first_active_date', 'min', 'activity_date', none, 0),
        ('last_active_date', 'max', 'activity_date', none, 0),
        ('first_order_date', 'min', 'case when orders > 0 then activity_date end', none, 0),
        ('last_order_date', 'max', 'case when orders > 0 then activity_date end', none, 0),
        ('order_days', 'sum', 'case when orders > 0 then 1 end', none, 0),
        ('active_days_7d', 'sum', '1', 7, 0),
        ('active_days_30d', 'sum', '1', 30, 0),
        ('active_days_90d', 'sum', '1', 90, 0),
        ('events_30d', 'sum', 'events', 30, 0),
        ('orders_7d', 'sum', 'orders', 7, 0),
        ('orders_30d', 'sum', 'orders', 30, 0),
        ('orders_90d', 'sum', 'orders', 90, 0),
        ('order_value_30d', 'sum', 'order_value', 30, 0),
        ('order_value_90d', 'sum', 'order_value', 90, 0),
        ('sessions_7d', 'sum', 'sessions', 7, 0),
        ('sessions_30d', 'sum', 'sessions', 30, 0),
        ('page_views_30d', 'sum', 'page_views', 30, 0),
        ('coupons_redeemed_90d', 'sum', 'coupons_redeemed', 90, 0),
        ('messages_opened_30d', 'sum', 'messages_opened', 30, 0),
        ('events_recent', 'sum', 'events', recent, 0),
        ('events_baseline', 'sum', 'events', baseline, recent),
    ]) }}
)

select
    history.user_id,
    history.as_of_date,
    {{ dbt.datediff('history.first_active_date', 'history.as_of_date', 'day') }} as tenure_days,
    {{ dbt.datediff('history.last_order_date', 'history.as_of_date', 'day') }} as days_since_last_order,
    -- Purchase history in the shape buy-till-you-die models (BG/NBD) expect; null before a first order.
    case when history.order_days > 0 then history.order_days - 1 end as repeat_order_days,
    {{ dbt.datediff('history.first_order_date', 'history.last_order_date', 'day') }} as first_to_last_order_days,
    {{ dbt.datediff('history.first_order_date', 'history.as_of_date', 'day') }} as first_order_age_days,
    {{ dbt.datediff('history.last_active_date', 'history.as_of_date', 'day') }} as days_since_last_activity,
    coalesce(history.active_days_7d, 0) as active_days_7d,
    coalesce(history.active_days_30d, 0) as active_days_30d,
    coalesce(history.active_days_90d, 0) as active_days_90d,
    coalesce(history.events_30d, 0) as events_30d,
    -- The recent weekly event rate against the user's own baseline (damped like the per-type
    -- trend in user_event_type_features): 0 steady, -1 stopped.
    -- Rates in double (cast(7 as double), not 7.0): a decimal literal keeps Spark's division to 6 digits.
    cast(
        (coalesce(history.events_recent, 0) * cast(7 as double) / {{ recent }}
            - coalesce(history.events_baseline, 0) * cast(7 as double) / {{ baseline }})
        / (coalesce(history.events_baseline, 0) * cast(7 as double) / {{ baseline }} + 1.0)
        as double) as activity_trend,
    coalesce(history.orders_7d, 0) as orders_7d,
    coalesce(history.orders_30d, 0) as orders_30d,
    coalesce(history.orders_90d, 0) as orders_90d,
    cast(history.order_value_30d as double) as order_value_30d,
    cast(history.order_value_90d as double) as order_value_90d,
    coalesce(history.sessions_7d, 0) as sessions_7d,
    coalesce(history.sessions_30d, 0) as sessions_30d,
    coalesce(history.page_views_30d, 0) as page_views_30d,
    coalesce(history.coupons_redeemed_90d, 0) as coupons_redeemed_90d,
    coalesce(history.messages_opened_30d, 0) as messages_opened_30d
from history
{%- if var('spine_max_inactive_days') %}
where {{ dbt.datediff('history.last_active_date', 'history.as_of_date', 'day') }} <= {{ number_var('spine_max_inactive_days') }}
{%- endif %}
