-- Value tier per user per observation date, strictly as of that date. Exactly one tier,
-- checked in this order: vip > potential > silent (with a subtype) > regular. The rules
-- are documented in _user_value_tiers.yml.
{%- set low_frequency_orders = number_var('low_frequency_orders_30d') %}

-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date, tenure_days, days_since_last_order
    from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

rfm as (
    select user_id, as_of_date, frequency, monetary
    from {{ ref('user_rfm') }}
),

-- The last 60 days: orders and sessions of the last 30 days and orders of the 30 before.
recent as (
    select
        spine.user_id,
        spine.as_of_date,
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} < 30
            then user_days.orders else 0 end) as orders_30d,
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} >= 30
            then user_days.orders else 0 end) as orders_prev_30d,
        sum(case when {{ dbt.datediff('user_days.activity_date', 'spine.as_of_date', 'day') }} < 30
            then user_days.sessions else 0 end) as sessions_30d
    from spine
    inner join {{ ref('int_user_days_aggregated') }} as user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date <= spine.as_of_date
        and user_days.activity_date > {{ dbt.dateadd('day', -60, 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date
),

-- Categories ordered from in the RFM window (orders without a category are not counted).
category_breadth as (
    select
        spine.user_id,
        spine.as_of_date,
        count(distinct category_days.category) as categories,
        sum(category_days.orders) as categorised_orders
    from spine
    inner join {{ ref('int_user_category_days') }} as category_days
        on category_days.user_id = spine.user_id
        and category_days.activity_date <= spine.as_of_date
        and category_days.activity_date > {{ dbt.dateadd('day', -number_var('rfm_window_days'), 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date
),

-- Buyers of each date ranked by spend: the first ceil(share x buyers) are VIPs.
buyer_ranks as (
    select
        user_id,
        as_of_date,
        row_number() over (
            partition by as_of_date order by coalesce(monetary, 0) desc, frequency desc, user_id
        ) as spend_rank,
        count(*) over (partition by as_of_date) as buyers
    from rfm
    where frequency > 0
),

high_value_thresholds as (
    select
        as_of_date,
        {{ percentile('monetary', number_var('high_value_quantile')) }} as high_value_monetary
    from rfm
    where frequency > 0
    group by as_of_date
),

measured as (
    select
        spine.user_id,
        spine.as_of_date,
        spine.tenure_days,
        spine.days_since_last_order,
        rfm.frequency,
        rfm.monetary,
        coalesce(recent.orders_30d, 0) as orders_30d,
        coalesce(recent.orders_prev_30d, 0) as orders_prev_30d,
        coalesce(recent.sessions_30d, 0) as sessions_30d,
        category_breadth.categories,
        category_breadth.categorised_orders,
        coalesce(buyer_ranks.spend_rank - 1 < buyer_ranks.buyers * {{ number_var('vip_top_share') }}
            and rfm.monetary > 0, false) as is_top_spender,
        coalesce(rfm.monetary >= high_value_thresholds.high_value_monetary, false) as is_high_value
    from spine
    inner join rfm on rfm.user_id = spine.user_id and rfm.as_of_date = spine.as_of_date
    left join recent on recent.user_id = spine.user_id and recent.as_of_date = spine.as_of_date
    left join category_breadth
        on category_breadth.user_id = spine.user_id and category_breadth.as_of_date = spine.as_of_date
    left join buyer_ranks on buyer_ranks.user_id = spine.user_id and buyer_ranks.as_of_date = spine.as_of_date
    left join high_value_thresholds on high_value_thresholds.as_of_date = spine.as_of_date
),

-- Why a user is potential (first reason that holds); null when none does.
potential as (
    select
        measured.*,
        case
            when orders_30d >= 2 and orders_30d >= {{ number_var('potential_growth_factor') }} * orders_prev_30d
                then 'rising_orders'
            when sessions_30d >= {{ number_var('potential_browse_sessions_30d') }} and orders_30d = 0
                then 'browsing_without_order'
            -- Cross-sell room: a current buyer (ordered in the last 30 days) whose orders in
            -- the RFM window, at least two and all with a category, are all in one category.
            when orders_30d > 0 and frequency >= 2 and categories = 1 and categorised_orders = frequency
                then 'single_category'
        end as potential_reason
    from measured
),

-- A never-buyer still inside their first new_user_order_days days is not judged yet
-- (regular); past that, never having ordered makes them new_unconverted.
silent as (
    select
        potential.*,
        case
            when days_since_last_order is null and tenure_days >= {{ number_var('new_user_order_days') }}
                then 'new_unconverted'
            when days_since_last_order >= {{ number_var('lapsed_days') }} and is_high_value
                then 'high_value_lapsed'
            when days_since_last_order >= {{ number_var('lapsed_days') }}
                then 'lapsed'
            when days_since_last_order is not null and orders_30d < {{ low_frequency_orders }}
                then 'low_frequency'
        end as silent_candidate
    from potential
)

select
    user_id,
    as_of_date,
    case
        when is_top_spender then 'vip'
        when potential_reason is not null then 'potential'
        when silent_candidate is not null then 'silent'
        else 'regular'
    end as value_tier,
    case
        when not is_top_spender and potential_reason is null then silent_candidate
    end as silent_subtype,
    case when not is_top_spender then potential_reason end as potential_reason,
    frequency > 0 as is_buyer,
    monetary,
    cast(orders_30d as {{ dbt.type_bigint() }}) as orders_30d,
    cast(orders_prev_30d as {{ dbt.type_bigint() }}) as orders_prev_30d,
    cast(sessions_30d as {{ dbt.type_bigint() }}) as sessions_30d
from silent
