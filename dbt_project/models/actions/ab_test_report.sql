-- Which playbook variant wins? One row per experiment (var ab_test_name). Users are split
-- between the arms by a stable hash and get in on the same terms whatever their arm (see
-- action_candidates), so the arms' treated users are compared directly: order rate B - A with
-- its confidence interval, the p-value of a two-proportion z-test and the probability that B
-- is better (normal approximation). Each arm's uplift against its own holdout and its net
-- value per treated user are shown beside.
with

arms as (
    select
        experiment,
        variant,
        {{ distinct_text_agg('label_en', ' / ') }} as arm_label,
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

compared as (
    select
        a.experiment,
        a.arm_label as arm_a_label,
        b.arm_label as arm_b_label,
        a.treated_users as arm_a_treated_users,
        a.control_users as arm_a_control_users,
        b.treated_users as arm_b_treated_users,
        b.control_users as arm_b_control_users,
        a.treated_rate as arm_a_order_rate,
        b.treated_rate as arm_b_order_rate,
        a.treated_rate - a.control_rate as arm_a_order_uplift,
        b.treated_rate - b.control_rate as arm_b_order_uplift,
        a.revenue_uplift_per_user * {{ number_var('gross_margin') }} - a.cost_per_treated_user as arm_a_net_value_per_user,
        b.revenue_uplift_per_user * {{ number_var('gross_margin') }} - b.cost_per_treated_user as arm_b_net_value_per_user,
        b.treated_rate - a.treated_rate as difference,
        sqrt(a.treated_rate * (1 - a.treated_rate) / a.treated_users
             + b.treated_rate * (1 - b.treated_rate) / b.treated_users) as difference_se,
        least(a.treated_users, b.treated_users) >= {{ number_var('uplift_min_users_per_arm') }} as enough_users
    from arms as a
    inner join arms as b on b.experiment = a.experiment and a.variant = 'A' and b.variant = 'B'
),

tested as (
    select
        *,
        {{ proportion_uplift_columns('b_vs_a', 'arm_b_order_rate', 'arm_a_order_rate', 'arm_b_treated_users', 'arm_a_treated_users') }},
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
    cast(round(arm_a_order_rate, 4) as double) as arm_a_order_rate,
    cast(round(arm_b_order_rate, 4) as double) as arm_b_order_rate,
    b_vs_a_uplift as order_rate_difference_b_minus_a,
    b_vs_a_uplift_ci_low as order_rate_difference_ci_low,
    b_vs_a_uplift_ci_high as order_rate_difference_ci_high,
    b_vs_a_uplift_p_value as p_value,
    round(probability_b_better, 4) as probability_b_better,
    cast(round(arm_a_order_uplift, 4) as double) as arm_a_order_uplift,
    cast(round(arm_b_order_uplift, 4) as double) as arm_b_order_uplift,
    round(arm_a_net_value_per_user, 2) as arm_a_net_value_per_user,
    round(arm_b_net_value_per_user, 2) as arm_b_net_value_per_user,
    case
        when not enough_users or b_vs_a_uplift_p_value is null then 'not enough users yet'
        when b_vs_a_uplift_p_value < 0.05 and difference > 0 then 'B'
        when b_vs_a_uplift_p_value < 0.05 and difference < 0 then 'A'
        else 'no clear winner yet'
    end as winner,
    case
        when not enough_users or b_vs_a_uplift_p_value is null then
            'Not enough users yet: each arm needs ' || {{ number_var('uplift_min_users_per_arm') }} || ' treated users with a closed outcome window.'
        else
            (case when b_vs_a_uplift_p_value >= 0.05 then 'No clear winner yet'
                  when difference > 0 then 'B wins' else 'A wins' end)
            || ': order rate B - A = ' || cast(round(100 * difference, 1) as {{ dbt.type_string() }}) || ' points (CI '
            || cast(round(100 * b_vs_a_uplift_ci_low, 1) as {{ dbt.type_string() }}) || ' to '
            || cast(round(100 * b_vs_a_uplift_ci_high, 1) as {{ dbt.type_string() }}) || '), p = '
            || cast(round(b_vs_a_uplift_p_value, 3) as {{ dbt.type_string() }}) || ', P(B better) = '
            || cast(cast(round(100 * probability_b_better) as integer) as {{ dbt.type_string() }}) || '%.'
    end as verdict
from tested
