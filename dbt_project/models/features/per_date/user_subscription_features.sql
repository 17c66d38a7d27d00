-- Per user and observation date, what their subscription costs them: the price of the
-- latest (re)start, its change against the one before (a price rise shows at the renewal
-- that charges it), and how far into the paid period they are (members reconsider before a
-- renewal). From the amount of subscription_start events and the price column of the
-- optional subscriptions file; logs without subscriptions get no rows (the training set's defaults apply). Incremental like user_event_type_features: each
-- observation date once.

with

dates as (
    {{ observation_dates_to_build() }}
),

start_events as (
    select user_id, event_time, cast(event_time as date) as start_date, cast(amount as double) as price
    from {{ ref('stg_events__events') }}
    where event_type = 'subscription_start'
),

-- The subscriptions file's spells, where the log has no start event that day.
all_starts as (
    select * from start_events
    union all
    select spells.user_id, cast(spells.start_date as {{ dbt.type_timestamp() }}), spells.start_date, spells.price
    from {{ source('raw', 'subscriptions') }} as spells
    left join start_events
        on start_events.user_id = spells.user_id and start_events.start_date = spells.start_date
    where start_events.user_id is null
),

starts as (
    select
        user_id,
        start_date,
        price,
        lag(price) over (partition by user_id order by event_time) as previous_price,
        row_number() over (partition by user_id order by event_time) as start_number
    from all_starts
),

ranked as (
    select
        dates.as_of_date,
        starts.*,
        row_number() over (partition by starts.user_id, dates.as_of_date order by starts.start_number desc) as recency_rank
    from dates
    inner join starts on starts.start_date <= dates.as_of_date
)

select
    user_id,
    as_of_date,
    coalesce(price, 0) as subscription_price,
    coalesce(price - previous_price, 0) as subscription_price_change,
    {{ dbt.datediff('start_date', 'as_of_date', 'day') }} as days_since_subscription_start
from ranked
where recency_rank = 1
