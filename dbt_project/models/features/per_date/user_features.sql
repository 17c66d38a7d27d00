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
{%- set window = [90, recent + baseline] | max %}
with

dates as (
    {{ observation_dates_to_build() }}
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

-- Every (user, date, day in the window) triple.
windowed as (
    select
        dates.as_of_date,
        user_days.*,
        {{ dbt.datediff('user_days.activity_date', 'dates.as_of_date', 'day') }} as days_back
    from dates
    inner join user_days
        on user_days.activity_date <= dates.as_of_date
        and user_days.activity_date > {{ dbt.dateadd('day', -window, 'dates.as_of_date') }}
),

window_features as (
    select
        user_id,
        as_of_date,
        sum(case when days_back < 7 then 1 else 0 end) as active_days_7d,
        sum(case when days_back < 30 then 1 else 0 end) as active_days_30d,
        sum(case when days_back < 90 then 1 else 0 end) as active_days_90d,
        sum(case when days_back < 30 then events else 0 end) as events_30d,
        sum(case when days_back < 7 then orders else 0 end) as orders_7d,
        sum(case when days_back < 30 then orders else 0 end) as orders_30d,
        sum(case when days_back < 90 then orders else 0 end) as orders_90d,
        cast(sum(case when days_back < 30 then order_value end) as double) as order_value_30d,
        cast(sum(case when days_back < 90 then order_value end) as double) as order_value_90d,
        sum(case when days_back < 7 then sessions else 0 end) as sessions_7d,
        sum(case when days_back < 30 then sessions else 0 end) as sessions_30d,
        sum(case when days_back < 30 then page_views else 0 end) as page_views_30d,
        sum(case when days_back < 90 then coupons_redeemed else 0 end) as coupons_redeemed_90d,
        sum(case when days_back < 30 then messages_opened else 0 end) as messages_opened_30d,
        -- Rates in double (cast(7 as double), not 7.0): a decimal literal keeps Spark's division to 6 digits.
        sum(case when days_back < {{ recent }} then events else 0 end) * cast(7 as double) / {{ recent }} as events_per_week_recent,
        sum(case when days_back >= {{ recent }} and days_back < {{ recent + baseline }} then events else 0 end)
            * cast(7 as double) / {{ baseline }} as events_per_week_baseline
    from windowed
    group by user_id, as_of_date
),

-- Tenure, last activity and last order look at all history before the date.
history as (
    select
        spine.user_id,
        spine.as_of_date,
        min(user_days.activity_date) as first_active_date,
        max(user_days.activity_date) as last_active_date,
        min(case when user_days.orders > 0 then user_days.activity_date end) as first_order_date,
        max(case when user_days.orders > 0 then user_days.activity_date end) as last_order_date,
        sum(case when user_days.orders > 0 then 1 else 0 end) as order_days
    from spine
    inner join user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date <= spine.as_of_date
    group by spine.user_id, spine.as_of_date
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
    coalesce(window_features.active_days_7d, 0) as active_days_7d,
    coalesce(window_features.active_days_30d, 0) as active_days_30d,
    coalesce(window_features.active_days_90d, 0) as active_days_90d,
    coalesce(window_features.events_30d, 0) as events_30d,
    -- The recent weekly event rate against the user's own baseline (damped like the per-type
    -- trend in user_event_type_features): 0 steady, -1 stopped.
    cast(
        (coalesce(window_features.events_per_week_recent, 0) - coalesce(window_features.events_per_week_baseline, 0))
        / (coalesce(window_features.events_per_week_baseline, 0) + 1.0)
        as double) as activity_trend,
    coalesce(window_features.orders_7d, 0) as orders_7d,
    coalesce(window_features.orders_30d, 0) as orders_30d,
    coalesce(window_features.orders_90d, 0) as orders_90d,
    window_features.order_value_30d,
    window_features.order_value_90d,
    coalesce(window_features.sessions_7d, 0) as sessions_7d,
    coalesce(window_features.sessions_30d, 0) as sessions_30d,
    coalesce(window_features.page_views_30d, 0) as page_views_30d,
    coalesce(window_features.coupons_redeemed_90d, 0) as coupons_redeemed_90d,
    coalesce(window_features.messages_opened_30d, 0) as messages_opened_30d
from history
left join window_features
    on window_features.user_id = history.user_id
    and window_features.as_of_date = history.as_of_date
{%- if var('spine_max_inactive_days') %}
where {{ dbt.datediff('history.last_active_date', 'history.as_of_date', 'day') }} <= {{ number_var('spine_max_inactive_days') }}
{%- endif %}
