-- Intent that did not convert, price sensitivity, and when and where to reach the user,
-- per user per observation date.
-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date, orders_90d, coupons_redeemed_90d from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

-- Items looked at var repeat_view_min or more times in the last repeat_view_days, never ordered then.
repeat_views as (
    select spine.user_id, spine.as_of_date, items.item_id
    from spine
    inner join {{ ref('int_user_items_viewed') }} as items
        on items.user_id = spine.user_id
        and items.activity_date <= spine.as_of_date
        and items.activity_date > {{ dbt.dateadd('day', -number_var('repeat_view_days'), 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date, items.item_id
    having sum(items.views) >= {{ number_var('repeat_view_min') }} and sum(items.orders) = 0
),

repeat_view_counts as (
    select user_id, as_of_date, count(*) as repeat_viewed_items_7d
    from repeat_views
    group by user_id, as_of_date
),

user_days_90d as (
    select spine.as_of_date, user_days.*  -- user_id comes with user_days.* (Spark refuses two)
    from spine
    inner join {{ ref('int_user_days_aggregated') }} as user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date <= spine.as_of_date
        and user_days.activity_date > {{ dbt.dateadd('day', -90, 'spine.as_of_date') }}
),

carts as (
    select
        user_id,
        as_of_date,
        sum(case when activity_date > {{ dbt.dateadd('day', -30, 'as_of_date') }} then abandoned_carts else 0 end) as abandoned_carts_30d
    from user_days_90d
    group by user_id, as_of_date
),

-- Preferred channel and hour: the ones of the user's busiest days over 90 days.
channel_ranked as (
    select user_id, as_of_date, main_channel,
        row_number() over (partition by user_id, as_of_date order by sum(events) desc, main_channel) as preference
    from user_days_90d
    where main_channel is not null
    group by user_id, as_of_date, main_channel
),

hour_ranked as (
    select user_id, as_of_date, main_hour,
        row_number() over (partition by user_id, as_of_date order by sum(events) desc, main_hour) as preference
    from user_days_90d
    group by user_id, as_of_date, main_hour
)

select
    spine.user_id,
    spine.as_of_date,
    coalesce(repeat_view_counts.repeat_viewed_items_7d, 0) as repeat_viewed_items_7d,
    coalesce(carts.abandoned_carts_30d, 0) as abandoned_carts_30d,
    -- Null without orders (DuckDB's least() skips nulls: least(null, 1.0) would say 100 %).
    case when spine.orders_90d > 0
        then least(cast(spine.coupons_redeemed_90d as double) / spine.orders_90d, 1.0) end as coupon_order_share_90d,
    channel_ranked.main_channel as preferred_channel,
    hour_ranked.main_hour as preferred_hour
from spine
left join repeat_view_counts
    on repeat_view_counts.user_id = spine.user_id and repeat_view_counts.as_of_date = spine.as_of_date
left join carts
    on carts.user_id = spine.user_id and carts.as_of_date = spine.as_of_date
left join channel_ranked
    on channel_ranked.user_id = spine.user_id and channel_ranked.as_of_date = spine.as_of_date
    and channel_ranked.preference = 1
left join hour_ranked
    on hour_ranked.user_id = spine.user_id and hour_ranked.as_of_date = spine.as_of_date
    and hour_ranked.preference = 1
