-- Which playbook variant wins? One row per experiment (var ab_test_name): each arm's order
-- uplift against its own holdout, and the difference B - A with its confidence interval,
-- p-value and the probability that B is better. Comparing uplifts, not raw rates, keeps the
-- verdict fair even when capacity or cost let different users into the two arms.
with

arms as (
    select
        experiment,
        variant,
        string_agg(distinct label_en, ' / ') as arm_label,
        count(*) filter (where arm = 'treatment') as treated_users,
        count(*) filter (where arm = 'control') as control_users,
        avg(case when ordered then 1.0 else 0.0 end) filter (where arm = 'treatment') as treated_rate,
        avg(case when ordered then 1.0 else 0.0 end) filter (where arm = 'control') as control_rate,
        avg(revenue) filter (where arm = 'treatment') - avg(revenue) filter (where arm = 'control') as revenue_uplift_per_user,
        avg(cost) filter (where arm = 'treatment') as cost_per_treated_user
    from {{ ref('action_outcomes') }}
    where experiment is not null
    group by experiment, variant
),

uplifts as (
    select
        *,
        treated_rate - control_rate as uplift,
        treated_rate * (1 - treated_rate) / treated_users + control_rate * (1 - control_rate) / control_users as uplift_variance
    from arms
),

compared as (
    select
        a.experiment,
        a.arm_label as arm_a_label,
        b.arm_label as arm_b_label,
        a.treated_users as arm_a_treated_users,
        a.control_users as arm_a_control_users,
        b.treated_users as arm_b_treated_users,
        b.control_users as arm_b_control_users,
        a.uplift as arm_a_order_uplift,
        b.uplift as arm_b_order_uplift,
        b.uplift - a.uplift as difference,
        sqrt(a.uplift_variance + b.uplift_variance) as difference_se,
        a.revenue_uplift_per_user * {{ var('gross_margin') }} - a.cost_per_treated_user as arm_a_net_value_per_user,
        b.revenue_uplift_per_user * {{ var('gross_margin') }} - b.cost_per_treated_user as arm_b_net_value_per_user
    from uplifts as a
    inner join uplifts as b on b.experiment = a.experiment and a.variant = 'A' and b.variant = 'B'
),

tested as (
    select
        *,
        {{ two_sided_p_value('difference / nullif(difference_se, 0)') }} as p_value,
        {{ normal_cdf('difference / nullif(difference_se, 0)') }} as probability_b_better
    from compared
)

select
    experiment,
    arm_a_label,
    arm_b_label,
    arm_a_treated_users,
    arm_a_control_users,
    arm_b_treated_users,
    arm_b_control_users,
    round(arm_a_order_uplift, 4) as arm_a_order_uplift,
    round(arm_b_order_uplift, 4) as arm_b_order_uplift,
    round(difference, 4) as uplift_difference_b_minus_a,
    round(difference - {{ var('uplift_confidence_z') }} * difference_se, 4) as uplift_difference_ci_low,
    round(difference + {{ var('uplift_confidence_z') }} * difference_se, 4) as uplift_difference_ci_high,
    round(p_value, 4) as p_value,
    round(probability_b_better, 4) as probability_b_better,
    round(arm_a_net_value_per_user, 2) as arm_a_net_value_per_user,
    round(arm_b_net_value_per_user, 2) as arm_b_net_value_per_user,
    case
        when p_value < 0.05 and difference > 0 then 'B'
        when p_value < 0.05 and difference < 0 then 'A'
        else 'no clear winner yet'
    end as winner,
    case
        when p_value is null then 'Not enough outcomes yet to compare the arms.'
        when p_value < 0.05 then
            (case when difference > 0 then 'B' else 'A' end) || ' wins: its order uplift is '
            || cast(round(100 * abs(difference), 1) as varchar) || ' points higher (CI '
            || cast(round(100 * (difference - {{ var('uplift_confidence_z') }} * difference_se), 1) as varchar) || ' to '
            || cast(round(100 * (difference + {{ var('uplift_confidence_z') }} * difference_se), 1) as varchar)
            || ' for B - A), p = ' || cast(round(p_value, 3) as varchar) || '.'
        else 'No clear winner yet: B - A = ' || cast(round(100 * difference, 1) as varchar)
            || ' points (CI ' || cast(round(100 * (difference - {{ var('uplift_confidence_z') }} * difference_se), 1) as varchar)
            || ' to ' || cast(round(100 * (difference + {{ var('uplift_confidence_z') }} * difference_se), 1) as varchar)
            || '), p = ' || cast(round(p_value, 3) as varchar) || '; P(B better) = '
            || cast(round(100 * probability_b_better) as integer) || '%.'
    end as verdict
from tested
