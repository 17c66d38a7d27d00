-- Experience signals per user per observation date: how fast pages were, how fast service
-- answered, how late parcels came, and how unhappy the user said they were. Null when the
-- data has none of the inputs (no timed page loads, no timed replies, ...).
-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

-- page-load windows are 30 days: a slow app is felt now; service and parcels are rarer, so 90.
-- Decimals where a double's sum would change in its last bits with the order DuckDB's threads
-- add them: a re-run must give the same features (and scores).
recent as (
    {{ per_date_aggregates(ref('int_user_days_aggregated'), 'spine', observation_dates_to_build(), [
        ('active_days_90d', 'sum', '1', 90, 0),
        ('page_loads_30d', 'sum', 'page_loads', 30, 0),
        ('page_load_ms_sum_30d', 'sum', 'page_load_ms_sum', 30, 0),
        ('noticeable_30d', 'sum', 'page_loads_noticeable', 30, 0),
        ('slow_30d', 'sum', 'page_loads_slow', 30, 0),
        ('very_slow_30d', 'sum', 'slow_page_loads', 30, 0),
        ('p90_weighted_30d', 'sum', 'cast(page_load_p90_ms as decimal(18, 3)) * page_loads', 30, 0),
        ('responses_90d', 'sum', 'responses', 90, 0),
        ('response_seconds_sum_90d', 'sum', 'response_seconds_sum', 90, 0),
        ('slow_responses_90d', 'sum', 'slow_responses', 90, 0),
        ('cs_contacts_90d', 'sum', 'cs_contacts', 90, 0),
        ('timed_deliveries_90d', 'sum', 'timed_deliveries', 90, 0),
        ('delivery_minutes_sum_90d', 'sum', 'delivery_minutes_sum', 90, 0),
        ('late_deliveries_90d', 'sum', 'late_deliveries', 90, 0),
        ('complaints_90d', 'sum', 'complaints', 90, 0),
        ('angry_contacts_90d', 'sum', 'angry_contacts', 90, 0),
        ('refunds_90d', 'sum', 'refunds', 90, 0),
        ('refund_value_90d', 'sum', 'refund_value', 90, 0),
        ('ratings_90d', 'sum', 'ratings', 90, 0),
        ('rating_sum_90d', 'sum', 'rating_sum', 90, 0),
    ]) }}
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
-- Users with no day in the last 90 days have no experience to measure: no row.
where active_days_90d is not null
