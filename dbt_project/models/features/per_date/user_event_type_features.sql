-- Per user, observation date and event type: how much of it, how recently, and whether it is
-- falling against the user's own past. Every type of the log, so a custom type ("post",
-- "error_page") carries signal as a canonical one does; churn_training_set pivots the
-- types marked is_feature into columns. Strictly as of the date: only user-days at or
-- before it. Incremental: each observation date is computed once (macro
-- observation_dates_to_build), reading only the window before it.
{%- set recent = number_var('warning_recent_days') %}
{%- set baseline = number_var('warning_baseline_days') %}
{%- set window = [90, recent + baseline] | max %}

{%- set dates_sql = observation_dates_to_build() %}
with

-- A row per user, type and date with a day of the type in the window before the date.
sums as (
    {{ per_date_aggregates(ref('int_user_event_type_days'), none, dates_sql, [
        ('events_7d', 'sum', 'events', 7, 0),
        ('events_30d', 'sum', 'events', 30, 0),
        ('events_90d', 'sum', 'events', 90, 0),
        ('active_days_30d', 'sum', '1', 30, 0),
        ('last_day', 'max', 'activity_date', window, 0),
        ('events_recent', 'sum', 'events', recent, 0),
        ('events_baseline', 'sum', 'events', baseline, recent),
    ], keys=['user_id', 'event_type']) }}
),

-- Rates in double (cast(7 as double), not 7.0): a decimal literal keeps Spark's division to 6 digits.
per_type as (
    select
        user_id,
        as_of_date,
        event_type,
        coalesce(events_7d, 0) as events_7d,
        coalesce(events_30d, 0) as events_30d,
        coalesce(events_90d, 0) as events_90d,
        coalesce(active_days_30d, 0) as active_days_30d,
        {{ dbt.datediff('last_day', 'as_of_date', 'day') }} as days_since_last,
        coalesce(events_recent, 0) * cast(7 as double) / {{ recent }} as per_week_recent,
        coalesce(events_baseline, 0) * cast(7 as double) / {{ baseline }} as per_week_baseline
    from sums
)

select
    user_id,
    as_of_date,
    event_type,
    cast(events_7d as {{ dbt.type_bigint() }}) as events_7d,
    cast(events_30d as {{ dbt.type_bigint() }}) as events_30d,
    cast(events_90d as {{ dbt.type_bigint() }}) as events_90d,
    cast(active_days_30d as {{ dbt.type_bigint() }}) as active_days_30d,
    cast(days_since_last as {{ dbt.type_bigint() }}) as days_since_last,
    -- The recent weekly rate against the user's own baseline, damped by one event a week so
    -- a user going from 1 to 0 is not "-100 %" like one going from 50 to 0: 0 = steady,
    -- -1 = stopped, above 0 = more than before.
    cast((per_week_recent - per_week_baseline) / (per_week_baseline + 1.0) as double) as trend,
    cast(events_30d as double) / nullif(sum(events_30d) over (partition by user_id, as_of_date), 0) as share_30d
from per_type
