-- Per user, observation date and event type: how much of it, how recently, and whether it is
-- falling against the user's own past. Every type of the log, so a custom type ("post",
-- "error_page") carries signal as a canonical one does; churn_training_set pivots the
-- types marked is_feature into columns. Strictly as of the date: only user-days at or
-- before it. Incremental: each observation date is computed once (macro
-- observation_dates_to_build), reading only the window before it.
{%- set recent = number_var('warning_recent_days') %}
{%- set baseline = number_var('warning_baseline_days') %}
{%- set window = [90, recent + baseline] | max %}

with

dates as (
    {{ observation_dates_to_build() }}
),

windowed as (
    select
        dates.as_of_date,
        type_days.user_id,
        type_days.event_type,
        type_days.events,
        {{ dbt.datediff('type_days.activity_date', 'dates.as_of_date', 'day') }} as days_back
    from dates
    inner join {{ ref('int_user_event_type_days') }} as type_days
        on type_days.activity_date <= dates.as_of_date
        and type_days.activity_date > {{ dbt.dateadd('day', -window, 'dates.as_of_date') }}
),

per_type as (
    select
        user_id,
        as_of_date,
        event_type,
        sum(case when days_back < 7 then events else 0 end) as events_7d,
        sum(case when days_back < 30 then events else 0 end) as events_30d,
        sum(case when days_back < 90 then events else 0 end) as events_90d,
        sum(case when days_back < 30 then 1 else 0 end) as active_days_30d,
        min(days_back) as days_since_last,
        -- Rates in double (cast(7 as double), not 7.0): a decimal literal keeps Spark's division to 6 digits.
        sum(case when days_back < {{ recent }} then events else 0 end) * cast(7 as double) / {{ recent }} as per_week_recent,
        sum(case when days_back >= {{ recent }} and days_back < {{ recent + baseline }} then events else 0 end)
            * cast(7 as double) / {{ baseline }} as per_week_baseline
    from windowed
    group by user_id, as_of_date, event_type
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
