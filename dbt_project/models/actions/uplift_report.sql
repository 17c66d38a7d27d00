-- Did the actions work? Treated against control users per action x incentive x segment x
-- campaign week, plus roll-ups: segment 'all' = every segment, incentive_type 'all' = every
-- incentive of the action, campaign_week null = all weeks. Uplifts are absolute differences in rates (0.05 = five
-- percentage points) with a confidence interval and a two-proportion z-test.
with

outcomes as (
    select * from {{ ref('action_outcomes') }}
),

grouped as (
    select
        action,
        coalesce(incentive_type, 'none') as incentive_type,
        segment,
        campaign_week,
        grouping(incentive_type) as all_incentives,
        grouping(segment) as all_segments,
        count(*) filter (where arm = 'treatment') as treated_users,
        count(*) filter (where arm = 'control') as control_users,
        avg(case when ordered then 1.0 else 0.0 end) filter (where arm = 'treatment') as treated_order_rate,
        avg(case when ordered then 1.0 else 0.0 end) filter (where arm = 'control') as control_order_rate,
        avg(case when active_again then 1.0 else 0.0 end) filter (where arm = 'treatment') as treated_active_rate,
        avg(case when active_again then 1.0 else 0.0 end) filter (where arm = 'control') as control_active_rate,
        avg(case when churned then 1.0 else 0.0 end) filter (where arm = 'treatment') as treated_churn_rate,
        avg(case when churned then 1.0 else 0.0 end) filter (where arm = 'control') as control_churn_rate,
        avg(revenue) filter (where arm = 'treatment') as revenue_per_treated_user,
        avg(revenue) filter (where arm = 'control') as revenue_per_control_user,
        var_samp(revenue) filter (where arm = 'treatment') as treated_revenue_variance,
        var_samp(revenue) filter (where arm = 'control') as control_revenue_variance,
        sum(cost) filter (where arm = 'treatment') as cost,
        avg(case when contacted_on_send_date then 1.0 else 0.0 end) filter (where arm = 'treatment') as treated_contacted_share,
        avg(case when contacted_on_send_date then 1.0 else 0.0 end) filter (where arm = 'control') as control_contacted_share
    from outcomes
    group by grouping sets (
        (action, incentive_type, segment, campaign_week),
        (action, incentive_type, campaign_week),
        (action, campaign_week),
        (action, incentive_type, segment),
        (action, incentive_type),
        (action)
    )
),

measured as (
    select
        *,
        revenue_per_treated_user - revenue_per_control_user as revenue_uplift_per_user,
        sqrt(treated_revenue_variance / treated_users + control_revenue_variance / control_users) as revenue_uplift_se
    from grouped
)

select
    action,
    case when all_incentives = 1 then 'all' else incentive_type end as incentive_type,
    case when all_segments = 1 then 'all' else segment end as segment,
    cast(campaign_week as date) as campaign_week,
    treated_users,
    control_users,
    -- Intervals of small arms are rough whatever the method: read these rows as anecdotes.
    least(treated_users, control_users) < {{ number_var('uplift_min_users_per_arm') }} as small_sample,
    cast(round(treated_order_rate, 4) as double) as treated_order_rate,
    cast(round(control_order_rate, 4) as double) as control_order_rate,
    {{ proportion_uplift_columns('order', 'treated_order_rate', 'control_order_rate', 'treated_users', 'control_users') }},
    coalesce(order_uplift_p_value < 0.05, false)
        and least(treated_users, control_users) >= {{ number_var('uplift_min_users_per_arm') }} as order_uplift_significant,
    cast(round(treated_active_rate, 4) as double) as treated_active_rate,
    cast(round(control_active_rate, 4) as double) as control_active_rate,
    {{ proportion_uplift_columns('active', 'treated_active_rate', 'control_active_rate', 'treated_users', 'control_users') }},
    cast(round(treated_churn_rate, 4) as double) as treated_churn_rate,
    cast(round(control_churn_rate, 4) as double) as control_churn_rate,
    cast(round(treated_churn_rate - control_churn_rate, 4) as double) as churn_rate_change,
    round(revenue_per_treated_user, 2) as revenue_per_treated_user,
    round(revenue_per_control_user, 2) as revenue_per_control_user,
    round(revenue_uplift_per_user, 2) as revenue_uplift_per_user,
    round(revenue_uplift_per_user - {{ number_var('uplift_confidence_z') }} * revenue_uplift_se, 2) as revenue_uplift_ci_low,
    round(revenue_uplift_per_user + {{ number_var('uplift_confidence_z') }} * revenue_uplift_se, 2) as revenue_uplift_ci_high,
    round(revenue_uplift_per_user * treated_users, 2) as incremental_revenue,
    round(coalesce(cost, 0), 2) as cost,
    -- Return on the action's cost in margin terms: (incremental revenue x gross_margin - cost) / cost.
    round((revenue_uplift_per_user * treated_users * {{ number_var('gross_margin') }} - cost) / nullif(cost, 0), 3) as roi,
    cast(round(treated_contacted_share, 4) as double) as treated_contacted_share,
    cast(round(control_contacted_share, 4) as double) as control_contacted_share
from measured
order by action, incentive_type, segment, campaign_week nulls first
