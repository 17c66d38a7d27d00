-- Activity, frequency and monetary features per user per observation date (the training
-- spine), strictly as of that date: only user-days at or
-- before as_of_date are read. Users with no activity in the lookback are not on the spine.
with

dates as (
    select as_of_date from {{ ref('int_observation_dates') }}
),

user_days as (
    select * from {{ ref('int_user_days_aggregated') }}
),

-- Every (user, date, day in the lookback window) triple.
windowed as (
    select
        dates.as_of_date,
        user_days.*,
        {{ dbt.datediff('user_days.activity_date', 'dates.as_of_date', 'day') }} as days_back
    from dates
    inner join user_days
        on user_days.activity_date <= dates.as_of_date
        and user_days.activity_date > {{ dbt.dateadd('day', -var('active_lookback_days'), 'dates.as_of_date') }}
),

window_features as (
    select
        user_id,
        as_of_date,
        min(days_back) as days_since_last_activity,
        sum(case when days_back < 7 then 1 else 0 end) as active_days_7d,
        sum(case when days_back < 30 then 1 else 0 end) as active_days_30d,
        count(*) as active_days_90d,
        sum(case when days_back < 7 then orders else 0 end) as orders_7d,
        sum(case when days_back < 30 then orders else 0 end) as orders_30d,
        sum(orders) as orders_90d,
        cast(sum(case when days_back < 30 then order_value end) as double) as order_value_30d,
        cast(sum(order_value) as double) as order_value_90d,
        sum(case when days_back < 7 then sessions else 0 end) as sessions_7d,
        sum(case when days_back < 30 then sessions else 0 end) as sessions_30d,
        sum(case when days_back < 30 then page_views else 0 end) as page_views_30d,
        sum(coupons_redeemed) as coupons_redeemed_90d,
        sum(case when days_back < 30 then messages_opened else 0 end) as messages_opened_30d
    from windowed
    group by user_id, as_of_date
),

-- Tenure and last order look at all history before the date, not only the lookback.
history as (
    select
        window_features.user_id,
        window_features.as_of_date,
        min(user_days.activity_date) as first_active_date,
        min(case when user_days.orders > 0 then user_days.activity_date end) as first_order_date,
        max(case when user_days.orders > 0 then user_days.activity_date end) as last_order_date,
        sum(case when user_days.orders > 0 then 1 else 0 end) as order_days
    from window_features
    inner join user_days
        on user_days.user_id = window_features.user_id
        and user_days.activity_date <= window_features.as_of_date
    group by window_features.user_id, window_features.as_of_date
)

select
    window_features.user_id,
    window_features.as_of_date,
    {{ dbt.datediff('history.first_active_date', 'window_features.as_of_date', 'day') }} as tenure_days,
    {{ dbt.datediff('history.last_order_date', 'window_features.as_of_date', 'day') }} as days_since_last_order,
    -- Purchase history in the shape buy-till-you-die models (BG/NBD) expect; null before a first order.
    case when history.order_days > 0 then history.order_days - 1 end as repeat_order_days,
    {{ dbt.datediff('history.first_order_date', 'history.last_order_date', 'day') }} as first_to_last_order_days,
    {{ dbt.datediff('history.first_order_date', 'window_features.as_of_date', 'day') }} as first_order_age_days,
    window_features.days_since_last_activity,
    window_features.active_days_7d,
    window_features.active_days_30d,
    window_features.active_days_90d,
    window_features.orders_7d,
    window_features.orders_30d,
    window_features.orders_90d,
    window_features.order_value_30d,
    window_features.order_value_90d,
    window_features.sessions_7d,
    window_features.sessions_30d,
    window_features.page_views_30d,
    window_features.coupons_redeemed_90d,
    window_features.messages_opened_30d
from window_features
inner join history
    on history.user_id = window_features.user_id
    and history.as_of_date = window_features.as_of_date
