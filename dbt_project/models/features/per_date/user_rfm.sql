-- RFM per user per observation date, strictly as of that date: orders in the
-- rfm_window_days ending on as_of_date (inclusive). Scores are quintiles among that
-- date's buyers; the R/F grid that names the segments is documented in _user_rfm.yml.
{%- set window_days = number_var('rfm_window_days') %}

-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

-- Only days with an order matter here, which keeps the (spine x days) join small.
order_days as (
    select user_id, activity_date, orders, order_value
    from {{ ref('int_user_days_aggregated') }}
    where orders > 0
),

window_orders as (
    select
        spine.user_id,
        spine.as_of_date,
        max(order_days.activity_date) as last_order_date,
        sum(order_days.orders) as frequency,
        sum(order_days.order_value) as monetary
    from spine
    inner join order_days
        on order_days.user_id = spine.user_id
        and order_days.activity_date <= spine.as_of_date
        and order_days.activity_date > {{ dbt.dateadd('day', -window_days, 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date
),

buyers as (
    select
        user_id,
        as_of_date,
        {{ dbt.datediff('last_order_date', 'as_of_date', 'day') }} as recency_days,
        frequency,
        -- Orders without amounts give a null monetary; rank them as zero spend.
        cast(monetary as double) as monetary,
        coalesce(cast(monetary as double), 0) as monetary_for_rank
    from window_orders
),

-- Quintiles among the buyers of each date, 5 = best. ntile splits ties by row position,
-- so ties are broken by a second measure and then user_id: the same input always gives
-- the same scores.
scored as (
    select
        user_id,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        ntile(5) over (partition by as_of_date order by recency_days desc, frequency, user_id) as r_score,
        ntile(5) over (partition by as_of_date order by frequency, monetary_for_rank, user_id) as f_score,
        ntile(5) over (partition by as_of_date order by monetary_for_rank, frequency, user_id) as m_score
    from buyers
),

-- The common R x F grid (11 named cells; see the model description).
segmented as (
    select
        scored.*,
        case
            when r_score = 5 and f_score >= 4 then 'champions'
            when r_score >= 3 and f_score >= 4 then 'loyal'
            when r_score = 5 and f_score = 1 then 'new_customers'
            when r_score = 4 and f_score = 1 then 'promising'
            when r_score >= 4 then 'potential_loyalists'
            when r_score = 3 and f_score = 3 then 'need_attention'
            when r_score = 3 then 'about_to_sleep'
            when f_score = 5 then 'cannot_lose_them'
            when f_score >= 3 then 'at_risk'
            when r_score = 2 then 'hibernating'
            else 'lost'
        end as rfm_segment
    from scored
)

select
    spine.user_id,
    spine.as_of_date,
    segmented.recency_days,
    cast(coalesce(segmented.frequency, 0) as {{ dbt.type_bigint() }}) as frequency,
    segmented.monetary,
    cast(segmented.r_score as integer) as r_score,
    cast(segmented.f_score as integer) as f_score,
    cast(segmented.m_score as integer) as m_score,
    {{ dbt.concat([
        "cast(segmented.r_score as " ~ dbt.type_string() ~ ")",
        "cast(segmented.f_score as " ~ dbt.type_string() ~ ")",
        "cast(segmented.m_score as " ~ dbt.type_string() ~ ")",
    ]) }} as rfm_score,
    coalesce(segmented.rfm_segment, 'no_purchase') as rfm_segment
from spine
left join segmented
    on segmented.user_id = spine.user_id
    and segmented.as_of_date = spine.as_of_date
