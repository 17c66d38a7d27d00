-- Early warnings per user per observation date, each user against their own past:
-- weekly sessions and time in app in the recent window versus the baseline window before
-- it, and days since the last order versus the user's usual gap between orders.
{%- set recent = number_var('warning_recent_days') %}
{%- set baseline = number_var('warning_baseline_days') %}

-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date, days_since_last_order from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

user_days as (
    select * from {{ ref('int_user_days_aggregated') }}
),

windows as (
    select
        spine.user_id,
        spine.as_of_date,
        -- Rates in double (cast(7 as double), not 7.0): a decimal literal keeps Spark's division to 6 digits.
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} < {{ recent }}
            then user_days.sessions else 0 end) * cast(7 as double) / {{ recent }} as sessions_per_week_recent,
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} >= {{ recent }}
            then user_days.sessions else 0 end) * cast(7 as double) / {{ baseline }} as sessions_per_week_baseline,
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} < {{ recent }}
            then user_days.session_seconds else 0 end) * cast(7 as double) / {{ recent }} as app_seconds_per_week_recent,
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} >= {{ recent }}
            then user_days.session_seconds else 0 end) * cast(7 as double) / {{ baseline }} as app_seconds_per_week_baseline
    from spine
    inner join user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date <= spine.as_of_date
        and user_days.activity_date > {{ dbt.dateadd('day', -(recent + baseline), 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date
),

-- The usual gap between orders, from all orders up to the date (needs two orders).
order_history as (
    select
        spine.user_id,
        spine.as_of_date,
        sum(user_days.orders) as orders_to_date,
        {{ dbt.datediff('min(user_days.activity_date)', 'max(user_days.activity_date)', 'day') }} as order_span_days
    from spine
    inner join user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date <= spine.as_of_date
        and user_days.orders > 0
    group by spine.user_id, spine.as_of_date
),

measured as (
    select
        spine.user_id,
        spine.as_of_date,
        cast(1 - windows.sessions_per_week_recent / nullif(windows.sessions_per_week_baseline, 0) as double) as session_drop_share,
        -- A light user's one session falling to none is noise, not a warning.
        coalesce(windows.sessions_per_week_baseline >= {{ number_var('warning_min_baseline_sessions_per_week') }}, false) as has_baseline,
        cast(1 - windows.app_seconds_per_week_recent / nullif(windows.app_seconds_per_week_baseline, 0) as double) as time_in_app_drop_share,
        cast(order_history.order_span_days as double) / nullif(order_history.orders_to_date - 1, 0) as usual_order_gap_days,
        spine.days_since_last_order
    from spine
    left join windows on windows.user_id = spine.user_id and windows.as_of_date = spine.as_of_date
    left join order_history on order_history.user_id = spine.user_id and order_history.as_of_date = spine.as_of_date
)

select
    user_id,
    as_of_date,
    session_drop_share,
    coalesce(session_drop_share >= {{ number_var('session_drop_share') }} and has_baseline, false) as session_drop_flag,
    time_in_app_drop_share,
    coalesce(time_in_app_drop_share >= {{ number_var('time_in_app_drop_share') }} and has_baseline, false) as time_in_app_drop_flag,
    usual_order_gap_days,
    days_since_last_order / nullif(usual_order_gap_days, 0) as order_overdue_ratio,
    coalesce(days_since_last_order > usual_order_gap_days * {{ number_var('overdue_gap_factor') }}, false) as order_overdue_flag
from measured
