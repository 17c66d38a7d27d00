-- Today's actions for the systems that send and for BI: the treated users of today's
-- decision (control users get nothing and are not listed), best expected value first.
select
    user_id,
    decision_date,
    send_date,
    send_hour,
    channel,
    action_level,
    action,
    incentive_type,
    coupon_value,
    coupon_valid_until,
    label_en,
    label_zh,
    rationale,
    churn_probability,
    expected_future_value,
    expected_value,
    cost,
    segment,
    rule_id,
    experiment,
    variant
from {{ ref('action_assignments') }}
where arm = 'treatment'
    and decision_date = (select max(as_of_date) from {{ ref('user_segments') }})
order by expected_value desc, user_id
