-- Features per user per observation date, strictly as of that date: only user-days at or
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
        cast(sum(case when days_back < 30 then page_load_ms_sum end)
            / nullif(sum(case when days_back < 30 then page_loads else 0 end), 0) as double) as avg_page_load_ms_30d,
        cast(sum(case when days_back < 30 then slow_page_loads else 0 end) as double)
            / nullif(sum(case when days_back < 30 then page_loads else 0 end), 0) as slow_page_load_share_30d,
        sum(cs_contacts) as cs_contacts_90d,
        sum(slow_responses) as slow_responses_90d,
        cast(sum(response_seconds_sum) / nullif(sum(responses), 0) as double) as avg_response_seconds_90d,
        sum(complaints) as complaints_90d,
        sum(late_deliveries) as late_deliveries_90d,
        sum(refunds) as refunds_90d,
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
        max(case when user_days.orders > 0 then user_days.activity_date end) as last_order_date
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
    window_features.avg_page_load_ms_30d,
    window_features.slow_page_load_share_30d,
    window_features.cs_contacts_90d,
    window_features.slow_responses_90d,
    window_features.avg_response_seconds_90d,
    window_features.complaints_90d,
    window_features.late_deliveries_90d,
    window_features.refunds_90d,
    window_features.coupons_redeemed_90d,
    window_features.messages_opened_30d
from window_features
inner join history
    on history.user_id = window_features.user_id
    and history.as_of_date = window_features.as_of_date
