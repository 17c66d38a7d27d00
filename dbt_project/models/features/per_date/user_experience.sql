-- Experience signals per user per observation date: how fast pages were, how fast service
-- answered, how late parcels came, and how unhappy the user said they were. Null when the
-- data has none of the inputs (no timed page loads, no timed replies, ...).
-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

windowed as (
    select
        -- user_id comes with user_days.* (one column of that name: Spark refuses two)
        spine.as_of_date,
        {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} as days_back,
        user_days.*
    from spine
    inner join {{ ref('int_user_days_aggregated') }} as user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date <= spine.as_of_date
        and user_days.activity_date > {{ dbt.dateadd('day', -90, 'spine.as_of_date') }}
),

recent as (
    -- page-load windows are 30 days: a slow app is felt now; service and parcels are rarer, so 90.
    select
        user_id,
        as_of_date,
        sum(case when days_back < 30 then page_loads else 0 end) as page_loads_30d,
        sum(case when days_back < 30 then page_load_ms_sum end) as page_load_ms_sum_30d,
        sum(case when days_back < 30 then page_loads_noticeable else 0 end) as noticeable_30d,
        sum(case when days_back < 30 then page_loads_slow else 0 end) as slow_30d,
        sum(case when days_back < 30 then slow_page_loads else 0 end) as very_slow_30d,
        -- Summed as decimals: a sum of doubles changes in its last bits with the order DuckDB's
        -- threads add them, and a re-run must give the same features (and scores).
        sum(case when days_back < 30 then cast(page_load_p90_ms as decimal(18, 3)) * page_loads end) as p90_weighted_30d,
        sum(responses) as responses_90d,
        sum(response_seconds_sum) as response_seconds_sum_90d,
        sum(slow_responses) as slow_responses_90d,
        sum(cs_contacts) as cs_contacts_90d,
        sum(timed_deliveries) as timed_deliveries_90d,
        sum(delivery_minutes_sum) as delivery_minutes_sum_90d,
        sum(late_deliveries) as late_deliveries_90d,
        sum(complaints) as complaints_90d,
        sum(angry_contacts) as angry_contacts_90d,
        sum(refunds) as refunds_90d,
        sum(refund_value) as refund_value_90d,
        sum(ratings) as ratings_90d,
        sum(rating_sum) as rating_sum_90d
    from windowed
    group by user_id, as_of_date
)

select
    user_id,
    as_of_date,
    -- Sums are decimals: divided as doubles (Spark's decimal division keeps 6 digits, DuckDB's is double).
    cast(page_load_ms_sum_30d as double) / nullif(page_loads_30d, 0) as avg_page_load_ms_30d,
    -- A load-weighted mean of daily 90th percentiles: keeps the window on the user-day table.
    cast(p90_weighted_30d as double) / nullif(page_loads_30d, 0) as page_load_p90_ms_30d,
    cast(noticeable_30d as double) / nullif(page_loads_30d, 0) as page_load_noticeable_share_30d,
    cast(slow_30d as double) / nullif(page_loads_30d, 0) as page_load_slow_share_30d,
    cast(very_slow_30d as double) / nullif(page_loads_30d, 0) as page_load_very_slow_share_30d,
    -- The counts behind the shares: a cause's evidence in words ("7 of 12 page loads over 3 s").
    cast(coalesce(page_loads_30d, 0) as {{ dbt.type_bigint() }}) as page_loads_30d,
    cast(coalesce(very_slow_30d, 0) as {{ dbt.type_bigint() }}) as very_slow_page_loads_30d,
    cs_contacts_90d,
    cast(response_seconds_sum_90d as double) / nullif(responses_90d, 0) as avg_response_seconds_90d,
    slow_responses_90d,
    timed_deliveries_90d,
    cast(delivery_minutes_sum_90d as double) / nullif(timed_deliveries_90d, 0) as avg_delivery_minutes_90d,
    late_deliveries_90d,
    complaints_90d,
    angry_contacts_90d,
    refunds_90d,
    cast(coalesce(refund_value_90d, 0) as double) as refund_value_90d,
    cast(rating_sum_90d as double) / nullif(ratings_90d, 0) as avg_rating_90d
from recent
