-- One row per user per day with activity: the only pass over raw events. Every window
-- feature is computed from this table, never by rescanning events per observation date.
--
-- Incremental by day: a run for landing days [start_date, end_date] recomputes every
-- activity_date those files touched (an event can land a day late), from all of that
-- date's events, and replaces those dates.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    tags=['daily'],
) }}

with

{% if is_incremental() and var('start_date') %}
touched_dates as (
    select distinct activity_date
    from {{ ref('stg_events__events') }}
    where landing_date between cast('{{ var("start_date") }}' as date)
        and cast('{{ var("end_date", var("start_date")) }}' as date)
),

events as (
    select * from {{ ref('stg_events__events') }}
    where activity_date in (select activity_date from touched_dates)
),
{% else %}
events as (
    select * from {{ ref('stg_events__events') }}
),
{% endif %}

-- Sums are exact numerics: float sums depend on the order of parallel aggregation, and a
-- re-run must give the same table bit for bit.
aggregated as (
    select
        user_id,
        activity_date,
        count(*) as events,
        count(distinct session_id) as sessions,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'search' then 1 else 0 end) as searches,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_type = 'order' then 1 else 0 end) as orders,
        sum(case when event_type = 'order' then cast(amount as {{ dbt.type_numeric() }}) end) as order_value,
        sum(case when event_type = 'refund' or amount < 0 then 1 else 0 end) as refunds,
        sum(case when event_type = 'cs_contact' then 1 else 0 end) as cs_contacts,
        sum(case when event_type = 'complaint' then 1 else 0 end) as complaints,
        sum(case when event_type = 'delivery' then 1 else 0 end) as deliveries,
        sum(case when delivery_minutes > {{ var('late_delivery_minutes') }} then 1 else 0 end) as late_deliveries,
        sum(cast(page_load_ms as {{ dbt.type_numeric() }})) as page_load_ms_sum,
        count(page_load_ms) as page_loads,
        sum(case when page_load_ms > {{ var('slow_page_load_ms') }} then 1 else 0 end) as slow_page_loads,
        sum(cast(response_seconds as {{ dbt.type_numeric() }})) as response_seconds_sum,
        count(response_seconds) as responses,
        sum(case when response_seconds > {{ var('slow_response_seconds') }} then 1 else 0 end) as slow_responses,
        sum(case when event_type = 'coupon_redeemed' then 1 else 0 end) as coupons_redeemed,
        sum(case when event_type = 'message_opened' then 1 else 0 end) as messages_opened,
        sum(case when event_type = 'signup' then 1 else 0 end) as signups
    from events
    group by user_id, activity_date
)

select * from aggregated
