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

-- Sessions and time in app in the recent window and the baseline before it.
sums as (
    {{ per_date_aggregates(ref('int_user_days_aggregated'), 'spine', observation_dates_to_build(), [
        ('days_recent', 'sum', '1', recent, 0),
        ('days_baseline', 'sum', '1', baseline, recent),
        ('sessions_recent', 'sum', 'sessions', recent, 0),
        ('sessions_baseline', 'sum', 'sessions', baseline, recent),
        ('app_seconds_recent', 'sum', 'session_seconds', recent, 0),
        ('app_seconds_baseline', 'sum', 'session_seconds', baseline, recent),
    ]) }}
),

-- The usual gap between orders, from all orders up to the date (needs two orders): only the
-- days with an order are read.
order_history as (
    {{ per_date_aggregates(ref('int_user_days_aggregated'), 'spine', observation_dates_to_build(), [
        ('orders_to_date', 'sum', 'orders', none, 0),
        ('first_order_date', 'min', 'activity_date', none, 0),
        ('last_order_date', 'max', 'activity_date', none, 0),
    ], days_where='orders > 0') }}
),

-- Weekly rates. A window with no days is 0 when the other window has days, and unknown
-- (null) when neither has; time in app is unknown too when no day of either window timed a
-- session. Rates in double (cast(7 as double), not 7.0): a decimal literal keeps Spark's
-- division to 6 digits.
windows as (
    select
        user_id,
        as_of_date,
        {%- for measure in ['sessions', 'app_seconds'] %}
        coalesce({{ measure }}_recent, case when days_baseline is not null then 0 end)
            * cast(7 as double) / {{ recent }} as {{ measure }}_per_week_recent,
        coalesce({{ measure }}_baseline, case when days_recent is not null then 0 end)
            * cast(7 as double) / {{ baseline }} as {{ measure }}_per_week_baseline,
        {%- endfor %}
        order_history.orders_to_date,
        {{ dbt.datediff('order_history.first_order_date', 'order_history.last_order_date', 'day') }} as order_span_days
    from sums
    left join order_history using (user_id, as_of_date)
),

measured as (
    select
        spine.user_id,
        spine.as_of_date,
        cast(1 - windows.sessions_per_week_recent / nullif(windows.sessions_per_week_baseline, 0) as double) as session_drop_share,
        -- A light user's one session falling to none is noise, not a warning.
        coalesce(windows.sessions_per_week_baseline >= {{ number_var('warning_min_baseline_sessions_per_week') }}, false) as has_baseline,
        cast(1 - windows.app_seconds_per_week_recent / nullif(windows.app_seconds_per_week_baseline, 0) as double) as time_in_app_drop_share,
        cast(windows.order_span_days as double) / nullif(windows.orders_to_date - 1, 0) as usual_order_gap_days,
        spine.days_since_last_order
    from spine
    left join windows on windows.user_id = spine.user_id and windows.as_of_date = spine.as_of_date
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
