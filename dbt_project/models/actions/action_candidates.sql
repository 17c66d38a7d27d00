-- One row per scored user for today: the playbook rule that fits them, what acting is worth
-- (churn probability x expected future value x assumed save rate - cost), and whether they
-- can be contacted today; skip_reason says why not.
with

users as (
    select * from {{ ref('user_segments') }}
),

today as (
    select max(as_of_date) as as_of_date from users
),

future_values as (
    select customer_value.user_id, customer_value.expected_future_value
    from {{ source('ml', 'customer_value') }} as customer_value
    inner join today on customer_value.as_of_date = today.as_of_date
),

-- The log of contacts actually sent (coupon_issued, message_sent events) drives the cooldown.
last_contacts as (
    select user_days.user_id, max(user_days.activity_date) as last_contact_date
    from {{ ref('int_user_days_aggregated') }} as user_days
    inner join today on user_days.activity_date <= today.as_of_date
    where user_days.coupons_issued > 0 or user_days.messages_sent > 0
    group by user_days.user_id
),

-- The arm of the playbook experiment, stable per user for the whole experiment.
arms as (
    select
        user_id,
        case when {{ stable_bucket("user_id || '|" ~ var('ab_test_name') ~ "'") }} < {{ var('ab_test_share_b') }}
            then 'B' else 'A' end as arm
    from users
),

-- Every rule that fits, most specific first.
matches as (
    select
        users.user_id,
        playbook.*,
        row_number() over (
            partition by users.user_id
            order by
                (case when playbook.risk_tier <> '*' then 1 else 0 end
                 + case when playbook.value_tier <> '*' then 1 else 0 end
                 + case when playbook.silent_subtype <> '*' then 1 else 0 end
                 + case when playbook.lifecycle_stage <> '*' then 1 else 0 end) desc,
                case when playbook.variant = 'all' then 1 else 0 end,
                playbook.rule_id
        ) as match_rank
    from users
    inner join arms on arms.user_id = users.user_id
    inner join {{ ref('playbook') }} as playbook
        on playbook.variant in ('all', arms.arm)
        and playbook.risk_tier in ('*', users.risk_tier)
        and playbook.value_tier in ('*', users.value_tier)
        and playbook.silent_subtype in ('*', coalesce(users.silent_subtype, ''))
        and playbook.lifecycle_stage in ('*', users.lifecycle_stage)
),

candidates as (
    select
        users.user_id,
        users.as_of_date as decision_date,
        users.risk_tier,
        users.value_tier,
        users.silent_subtype,
        users.lifecycle_stage,
        coalesce(users.silent_subtype, users.value_tier) as segment,
        users.churn_probability,
        users.reason_1,
        users.model_version,
        rules.rule_id,
        case when rules.variant <> 'all' then '{{ var("ab_test_name") }}' end as experiment,
        case when rules.variant <> 'all' then rules.variant end as variant,
        rules.action_level,
        rules.action,
        rules.incentive_type,
        rules.coupon_value,
        rules.coupon_validity_days,
        rules.label_en,
        rules.label_zh,
        rules.save_rate,
        rules.cost,
        -- Offline-only shoppers cannot be messaged in the store: text them.
        case
            when rules.action_level = 0 then null
            when rules.channel <> 'preferred' then rules.channel
            when users.preferred_channel is null or users.preferred_channel = 'offline' then 'sms'
            else users.preferred_channel
        end as channel,
        -- The user's habitual active hour; a person calls only in working hours.
        case when rules.channel = 'phone'
            then greatest(9, least(20, coalesce(users.preferred_hour, {{ var('default_send_hour') }})))
            else coalesce(users.preferred_hour, {{ var('default_send_hour') }})
        end as send_hour,
        cast(coalesce(future_values.expected_future_value, 0) as double) as expected_future_value,
        users.churn_probability * coalesce(future_values.expected_future_value, 0) * rules.save_rate
            - rules.cost as expected_value,
        last_contacts.last_contact_date
    from users
    left join matches as rules on rules.user_id = users.user_id and rules.match_rank = 1
    left join future_values on future_values.user_id = users.user_id
    left join last_contacts on last_contacts.user_id = users.user_id
)

select
    *,
    {{ dbt.dateadd('day', 1, 'decision_date') }} as send_date,
    case
        when rule_id is null then 'no_playbook_rule'
        when action_level = 0 then 'no_action_for_segment'
        -- Sending tomorrow must be at least contact_cooldown_days after the last contact.
        when last_contact_date is not null
            and {{ dbt.datediff('last_contact_date', 'decision_date', 'day') }} + 1 < {{ var('contact_cooldown_days') }}
            then 'contacted_recently'
        when expected_value <= 0 then 'not_worth_the_cost'
    end as skip_reason
from candidates
