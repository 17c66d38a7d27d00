{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='fail') }}
-- The experiment record: one row per user selected on a decision date, in the treatment or
-- the control arm. Append-only: a day already decided is never decided again (the senders
-- may have acted on it), and full_refresh is disabled for this model so the history of
-- experiments survives `dbt build --full-refresh`.
--
-- Selection: the eligible users of the day, best selection_value first (the expected value,
-- or the worse arm's for users in the playbook experiment), up to each action level's daily
-- capacity and the daily budget, counted on treated users only. The arm comes
-- from a stable hash of user, action and campaign week, before selection, so control users
-- come from the same part of the ranked list as treated ones.
with

candidates as (
    select * from {{ ref('action_candidates') }}
    where skip_reason is null
),

{% if is_incremental() %}
-- Users whose earlier assignment (either arm) is still inside its outcome window stay
-- untouched, so neither arm is contaminated by a second action.
in_open_experiment as (
    select distinct earlier.user_id
    from {{ this }} as earlier
    inner join (select distinct decision_date from candidates) as today
        on earlier.decision_date < today.decision_date
        and {{ dbt.dateadd('day', 'earlier.outcome_window_days', 'earlier.decision_date') }} > today.decision_date
),

already_decided as (
    select distinct decision_date from {{ this }}
),
{% endif %}

-- Campaign periods are ISO weeks starting on Monday.
weekly as (
    select *, cast({{ dbt.date_trunc('week', 'decision_date') }} as date) as campaign_week
    from candidates
),

pool as (
    select
        *,
        case
            when {{ stable_bucket("user_id || '|' || action || '|' || cast(campaign_week as " ~ dbt.type_string() ~ ")") }}
                < {{ number_var('holdout_share') }} then 'control'
            else 'treatment'
        end as arm
    from weekly
    {%- if is_incremental() %}
    where user_id not in (select user_id from in_open_experiment)
        and decision_date not in (select decision_date from already_decided)
    {%- endif %}
),

ranked_by_level as (
    select
        *,
        case when arm = 'treatment' then 1 else 0 end as is_treated,
        sum(case when arm = 'treatment' then 1 else 0 end) over (
            partition by action_level order by selection_value desc, user_id
            rows between unbounded preceding and current row
        ) as treated_up_to_here
    from pool
),

-- A control user is kept when fewer than `capacity` treated users rank above them.
within_capacity as (
    select *
    from ranked_by_level
    where treated_up_to_here - is_treated < case action_level
        when 1 then {{ number_var('capacity_level_1') }}
        when 2 then {{ number_var('capacity_level_2') }}
        when 3 then {{ number_var('capacity_level_3') }}
        else 0 end
),

ranked_by_value as (
    select
        *,
        sum(cost * is_treated) over (
            order by selection_value desc, user_id
            rows between unbounded preceding and current row
        ) - cost * is_treated as treated_cost_before
    from within_capacity
),

-- Kept when the budget could pay for the user were they treated, whatever their arm.
within_budget as (
    select *
    from ranked_by_value
    where treated_cost_before + cost <= {{ number_var('daily_budget') }}
)

select
    decision_date,
    campaign_week,
    user_id,
    arm,
    rule_id,
    experiment,
    variant,
    action_level,
    action,
    incentive_type,
    coupon_value,
    coupon_validity_days,
    case when coupon_validity_days is not null
        then cast({{ dbt.dateadd('day', 'coupon_validity_days - 1', 'send_date') }} as date) end as coupon_valid_until,
    channel,
    cast(send_date as date) as send_date,
    cast(send_hour as integer) as send_hour,
    segment,
    risk_tier,
    value_tier,
    silent_subtype,
    lifecycle_stage,
    churn_probability,
    expected_future_value,
    save_rate,
    cost,
    expected_value,
    label_en,
    label_zh,
    -- Plain words for the people who send and the analysts who read the queue.
    upper(substr(risk_tier, 1, 1)) || substr(risk_tier, 2) || ' churn risk (' || cast(round(100 * churn_probability) as integer) || '%), '
        || replace(segment, '_', ' ')
        -- Why (this user's evidence of the main cause), then what is happening.
        || coalesce('; cause: ' || main_cause_words || ' (' || main_cause_evidence || ')', '')
        || coalesce('; ' || symptom, '')
        || '. Expected future value ' || cast(round(expected_future_value) as integer)
        || ', expected net value of acting ' || cast(round(expected_value, 1) as {{ dbt.type_string() }})
        || ' -> ' || label_en || '.' as rationale,
    model_version,
    -- The settings this decision was made under, so changing a var later never rewrites
    -- the outcomes or the control share of past experiments.
    cast({{ number_var('holdout_share') }} as double) as holdout_share,
    cast({{ number_var('outcome_window_days') }} as integer) as outcome_window_days
from within_budget
