-- One row per user per day with activity: the only pass over raw events. Every window
-- feature is computed from this table, never by rescanning events per observation date.
--
-- Incremental by day: a run recomputes and replaces every activity_date its landing days
-- touched (macro events_of_run_days).
with

-- Inlined (macro inlined): each part below reads only the columns and rows it needs.
events as {{ inlined() }} (
    {{ events_of_run_days() }}
),

keywords as (
    select lower(keyword) as keyword from {{ ref('complaint_keywords') }}
),

-- Service contacts whose text has a word from the complaint lexicon.
angry_contacts as (
    select distinct events.user_id, events.activity_date, events.event_id, events.event_time
    from events
    inner join keywords on lower(events.text) like '%' || keywords.keyword || '%'
    where events.event_type in ('cs_contact', 'complaint')
),

-- Session length and whether a cart was left behind, per session.
sessions as (
    select
        user_id,
        activity_date,
        session_id,
        {{ dbt.datediff('min(event_time)', 'max(event_time)', 'second') }} as session_seconds,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as has_cart,
        max(case when event_type = 'order' then 1 else 0 end) as has_order
    from events
    where session_id is not null
    group by user_id, activity_date, session_id
),

session_days as (
    select
        user_id,
        activity_date,
        count(*) as sessions,
        sum(session_seconds) as session_seconds,
        sum(case when has_cart = 1 and has_order = 0 then 1 else 0 end) as abandoned_carts
    from sessions
    group by user_id, activity_date
),

-- The day's most used channel and hour (ties go to the first in order).
channel_counts as (
    select user_id, activity_date, channel, count(*) as n_events,
        row_number() over (partition by user_id, activity_date order by count(*) desc, channel) as rank_in_day
    from events
    where channel is not null
    group by user_id, activity_date, channel
),

hour_counts as (
    select user_id, activity_date, extract(hour from event_time) as hour_of_day,
        row_number() over (partition by user_id, activity_date order by count(*) desc, extract(hour from event_time)) as rank_in_day
    from events
    group by user_id, activity_date, extract(hour from event_time)
),

-- The distinct counts and the percentile each over only the events they need, apart from
-- the one big aggregation below: inside it they held a hash set or a list per user-day
-- (about 15 % of this model's time, and most of its memory, at a million users).
page_load_days as (
    select user_id, activity_date, {{ percentile('page_load_ms', 0.9) }} as page_load_p90_ms
    from events
    where page_load_ms is not null
    group by user_id, activity_date
),

coupon_days as (
    select user_id, activity_date, count(distinct coalesce(order_id, event_id)) as coupons_redeemed
    from events
    where event_type = 'coupon_redeemed'
    group by user_id, activity_date
),

-- Sums are exact numerics: float sums depend on the order of parallel aggregation, and a
-- re-run must give the same table bit for bit.
aggregated as (
    select
        user_id,
        activity_date,
        count(*) as events,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'search' then 1 else 0 end) as searches,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_type = 'order' then 1 else 0 end) as orders,
        sum(case when event_type = 'order' then cast(amount as {{ dbt.type_numeric() }}) end) as order_value,
        sum(case when event_type = 'refund' or amount < 0 then 1 else 0 end) as refunds,
        sum(case when event_type = 'refund' or amount < 0 then cast(abs(amount) as {{ dbt.type_numeric() }}) end) as refund_value,
        sum(case when event_type = 'cs_contact' then 1 else 0 end) as cs_contacts,
        sum(case when event_type = 'complaint' then 1 else 0 end) as complaints,
        sum(case when event_type = 'delivery' then 1 else 0 end) as deliveries,
        sum(cast(delivery_minutes as {{ dbt.type_numeric() }})) as delivery_minutes_sum,
        count(delivery_minutes) as timed_deliveries,
        sum(case when delivery_minutes > {{ number_var('late_delivery_minutes') }} then 1 else 0 end) as late_deliveries,
        sum(cast(page_load_ms as {{ dbt.type_numeric() }})) as page_load_ms_sum,
        count(page_load_ms) as page_loads,
        sum(case when page_load_ms > {{ number_var('page_load_noticeable_ms') }} then 1 else 0 end) as page_loads_noticeable,
        sum(case when page_load_ms > {{ number_var('page_load_slow_ms') }} then 1 else 0 end) as page_loads_slow,
        sum(case when page_load_ms > {{ number_var('page_load_very_slow_ms') }} then 1 else 0 end) as slow_page_loads,
        sum(cast(response_seconds as {{ dbt.type_numeric() }})) as response_seconds_sum,
        count(response_seconds) as responses,
        sum(case when response_seconds > {{ number_var('slow_response_seconds') }} then 1 else 0 end) as slow_responses,
        sum(cast(rating as {{ dbt.type_numeric() }})) as rating_sum,
        count(rating) as ratings,
        sum(case when event_type = 'coupon_issued' then 1 else 0 end) as coupons_issued,
        sum(case when event_type = 'message_sent' then 1 else 0 end) as messages_sent,
        sum(case when event_type = 'message_opened' then 1 else 0 end) as messages_opened,
        sum(case when event_type = 'signup' then 1 else 0 end) as signups
    from events
    group by user_id, activity_date
),

angry_days as (
    select user_id, activity_date, count(*) as angry_contacts
    from angry_contacts
    group by user_id, activity_date
)

-- The columns in the order they have always had (the table is incremental).
select
    aggregated.user_id,
    aggregated.activity_date,
    aggregated.events,
    coalesce(session_days.sessions, 0) as sessions,
    aggregated.page_views,
    aggregated.product_views,
    aggregated.searches,
    aggregated.add_to_carts,
    aggregated.orders,
    aggregated.order_value,
    aggregated.refunds,
    aggregated.refund_value,
    aggregated.cs_contacts,
    aggregated.complaints,
    aggregated.deliveries,
    aggregated.delivery_minutes_sum,
    aggregated.timed_deliveries,
    aggregated.late_deliveries,
    aggregated.page_load_ms_sum,
    aggregated.page_loads,
    page_load_days.page_load_p90_ms,
    aggregated.page_loads_noticeable,
    aggregated.page_loads_slow,
    aggregated.slow_page_loads,
    aggregated.response_seconds_sum,
    aggregated.responses,
    aggregated.slow_responses,
    aggregated.rating_sum,
    aggregated.ratings,
    coalesce(coupon_days.coupons_redeemed, 0) as coupons_redeemed,
    aggregated.coupons_issued,
    aggregated.messages_sent,
    aggregated.messages_opened,
    aggregated.signups,
    coalesce(angry_days.angry_contacts, 0) as angry_contacts,
    session_days.session_seconds,
    coalesce(session_days.abandoned_carts, 0) as abandoned_carts,
    channel_counts.channel as main_channel,
    cast(hour_counts.hour_of_day as integer) as main_hour
from aggregated
left join angry_days
    on angry_days.user_id = aggregated.user_id and angry_days.activity_date = aggregated.activity_date
left join page_load_days
    on page_load_days.user_id = aggregated.user_id and page_load_days.activity_date = aggregated.activity_date
left join coupon_days
    on coupon_days.user_id = aggregated.user_id and coupon_days.activity_date = aggregated.activity_date
left join session_days
    on session_days.user_id = aggregated.user_id and session_days.activity_date = aggregated.activity_date
left join channel_counts
    on channel_counts.user_id = aggregated.user_id and channel_counts.activity_date = aggregated.activity_date
    and channel_counts.rank_in_day = 1
left join hour_counts
    on hour_counts.user_id = aggregated.user_id and hour_counts.activity_date = aggregated.activity_date
    and hour_counts.rank_in_day = 1
