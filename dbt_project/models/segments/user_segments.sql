-- One row per user for the latest date: churn risk beside value tier, silent subtype,
-- lifecycle stage, RFM segment, early warnings and contact preferences. Read by BI through
-- the serving file; the actions models decide what to do about each user (playbook seed).
-- Every known user is here: those off the churn spine (a subscription that ended) with their
-- churn_status, no churn score, and the chance to win them back.
with

latest as (
    select user_id, as_of_date from {{ ref('user_features') }}
    where as_of_date = {{ as_of_date_expr() }}
),

scores as (
    select * from {{ source('ml', 'churn_scores') }}
    where as_of_date = {{ as_of_date_expr() }}
),

-- The margin of the user's expected future purchases, as action_candidates values it.
future_values as (
    select user_id, expected_future_revenue * {{ number_var('gross_margin') }} as expected_future_value
    from {{ source('ml', 'customer_value') }}
    where as_of_date = {{ as_of_date_expr() }}
),

joined as (
    select
        latest.user_id,
        latest.as_of_date,
        status.churn_status,
        scores.churn_probability,
        win_back.win_back_probability as ended_win_back_probability,
        scores.model_version,
        scores.risk_tier,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3,
        scores.reason_family_1,
        scores.reason_family_2,
        scores.reason_family_3,
        future_values.expected_future_value,
        scores.main_cause,
        scores.main_cause_words,
        scores.main_cause_evidence,
        scores.symptom,
        tiers.value_tier,
        tiers.silent_subtype,
        stages.lifecycle_stage,
        rfm.rfm_segment,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        warnings.session_drop_flag,
        warnings.session_drop_share,
        warnings.time_in_app_drop_flag,
        warnings.time_in_app_drop_share,
        warnings.order_overdue_flag,
        warnings.order_overdue_ratio,
        intent.preferred_channel,
        intent.preferred_hour
    from latest
    left join scores on scores.user_id = latest.user_id
    left join {{ ref('subscription_win_back') }} as win_back on win_back.user_id = latest.user_id
    left join future_values on future_values.user_id = latest.user_id
    {%- for model, alias in [('user_value_tiers', 'tiers'), ('user_lifecycle_stages', 'stages'), ('user_rfm', 'rfm'),
                             ('user_early_warnings', 'warnings'), ('user_intent', 'intent'),
                             ('user_churn_status', 'status')] %}
    left join {{ ref(model) }} as {{ alias }}
        on {{ alias }}.user_id = latest.user_id and {{ alias }}.as_of_date = latest.as_of_date
    {%- endfor %}
)

select
    user_id,
    as_of_date,
    churn_status,
    cast(churn_probability as double) as churn_probability,
    -- The chance to come back within the horizon: a lapsed user doing what counts as staying
    -- (the model's complement), an ended subscription starting again (the rate of history's
    -- users who had ended as long ago, subscription_win_back).
    cast(case
        when churn_status = 'lapsed' then 1 - churn_probability
        when churn_status = 'ended' then ended_win_back_probability
    end as double) as win_back_probability,
    cast(expected_future_value as double) as expected_future_value,
    -- What the business stands to lose if the user churns: the figure to rank outreach by.
    cast(churn_probability * expected_future_value as double) as expected_value_at_risk,
    risk_tier,
    reason_1,
    reason_2,
    reason_3,
    reason_family_1,
    reason_family_2,
    reason_family_3,
    main_cause,
    main_cause_words,
    main_cause_evidence,
    symptom,
    value_tier,
    silent_subtype,
    lifecycle_stage,
    rfm_segment,
    r_score,
    f_score,
    m_score,
    session_drop_flag,
    session_drop_share,
    time_in_app_drop_flag,
    time_in_app_drop_share,
    order_overdue_flag,
    order_overdue_ratio,
    preferred_channel,
    preferred_hour,
    model_version
from joined
