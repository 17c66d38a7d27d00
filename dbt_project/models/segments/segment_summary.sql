-- Per observation date and segment: how many users, how much of the last 30 days' revenue
-- they brought, and their mean churn probability (on dates that were scored). One long
-- table over several segmentations, so a BI filter on segment_type picks the view.
with

users as (
    select
        features.user_id,
        features.as_of_date,
        -- Exact numerics, so sums do not depend on the order of parallel aggregation.
        cast(coalesce(features.order_value_30d, 0) as {{ dbt.type_numeric() }}) as revenue_30d,
        tiers.value_tier,
        stages.lifecycle_stage,
        rfm.rfm_segment,
        scores.churn_probability
    from {{ ref('user_features') }} as features
    left join {{ ref('user_value_tiers') }} as tiers
        on tiers.user_id = features.user_id and tiers.as_of_date = features.as_of_date
    left join {{ ref('user_lifecycle_stages') }} as stages
        on stages.user_id = features.user_id and stages.as_of_date = features.as_of_date
    left join {{ ref('user_rfm') }} as rfm
        on rfm.user_id = features.user_id and rfm.as_of_date = features.as_of_date
    left join {{ source('ml', 'churn_scores') }} as scores
        on scores.user_id = features.user_id and scores.as_of_date = features.as_of_date
),

long as (
    {%- for segment_type in ['value_tier', 'lifecycle_stage', 'rfm_segment'] %}
    select as_of_date, '{{ segment_type }}' as segment_type, {{ segment_type }} as segment, revenue_30d, churn_probability
    from users
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

summed as (
    select
        as_of_date,
        segment_type,
        coalesce(segment, 'unknown') as segment,
        count(*) as users,
        sum(revenue_30d) as revenue_30d,
        avg(churn_probability) as mean_churn_probability
    from long
    group by as_of_date, segment_type, coalesce(segment, 'unknown')
)

select
    as_of_date,
    segment_type,
    segment,
    users,
    cast(revenue_30d as double) as revenue_30d,
    cast(revenue_30d as double) / nullif(sum(revenue_30d) over (partition by as_of_date, segment_type), 0) as revenue_share,
    cast(mean_churn_probability as double) as mean_churn_probability
from summed
