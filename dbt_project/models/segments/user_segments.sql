-- One row per user for the latest date: churn risk beside a first value tier, lifecycle
-- stage and a recommended action. Read by BI through the serving file.
with

features as (
    select * from {{ ref('user_features') }}
    where as_of_date = {{ as_of_date_expr() }}
),

scores as (
    select * from {{ source('ml', 'churn_scores') }}
    where as_of_date = {{ as_of_date_expr() }}
),

spend_rank as (
    select
        user_id,
        percent_rank() over (order by order_value_90d desc) as spend_rank
    from features
    where order_value_90d > 0
),

tiered as (
    select
        features.user_id,
        features.as_of_date,
        scores.churn_probability,
        scores.model_version,
        case
            when scores.churn_probability >= {{ var('risk_high_threshold') }} then 'high'
            when scores.churn_probability >= {{ var('risk_medium_threshold') }} then 'medium'
            else 'low'
        end as risk_tier,
        case
            when features.days_since_last_activity >= 30 then 'silent'
            when spend_rank.spend_rank < {{ var('vip_top_share') }} then 'vip'
            when features.orders_90d > 0 then 'regular'
            else 'potential'
        end as value_tier,
        case
            when features.tenure_days < 14 then 'new'
            when features.days_since_last_activity >= 30 then 'silent'
            when features.active_days_7d = 0 then 'declining'
            else 'active'
        end as lifecycle_stage
    from features
    inner join scores on scores.user_id = features.user_id
    left join spend_rank on spend_rank.user_id = features.user_id
)

select
    user_id,
    as_of_date,
    cast(churn_probability as double) as churn_probability,
    risk_tier,
    value_tier,
    lifecycle_stage,
    case
        when risk_tier = 'high' and value_tier = 'vip' then 'personal_outreach'
        when risk_tier = 'high' then 'incentive'
        when risk_tier = 'medium' then 'automated_guide'
        else 'none'
    end as recommended_action,
    model_version
from tiered
