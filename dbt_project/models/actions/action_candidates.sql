-- One row per scored user for today: the playbook rule that fits them, what acting is worth
-- (churn probability x expected future value x assumed save rate - cost), and whether they
-- can be contacted today; skip_reason says why not.
--
-- A rule with an empty main_cause (a unit test's fixture, a hand-edited seed) matches any cause.
{%- set playbook_cause = "coalesce(playbook.main_cause, '*')" %}
--
-- The rule is looked up for both arms of the playbook experiment. Users whose rule differs by
-- arm are gated and ranked on the worse arm's expected value (selection_value), so which
-- users get in never depends on the arm: the two arms stay comparable, user for user.
with

users as (
    select * from {{ ref('user_segments') }}
),

today as (
    select max(as_of_date) as as_of_date from users
),

-- Expected future revenue x gross margin: the margin is the dbt var, as in the uplift ROI.
future_values as (
    select
        customer_value.user_id,
        customer_value.expected_future_revenue * {{ number_var('gross_margin') }} as expected_future_value
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

-- The user's arm of the experiment: stable per user for the whole experiment.
arms as (
    select
        user_id,
        case when {{ stable_bucket("user_id || '|' || " ~ text_var('ab_test_name')) }} < {{ number_var('ab_test_share_b') }}
            then 'B' else 'A' end as arm
    from users
),

-- For each user and each arm, every rule that fits, most specific first.
matches as (
    select
        users.user_id,
        arm_names.arm as for_arm,
        playbook.*,
        row_number() over (
            partition by users.user_id, arm_names.arm
            order by
                (case when playbook.risk_tier <> '*' then 1 else 0 end
                 + case when playbook.value_tier <> '*' then 1 else 0 end
                 + case when playbook.silent_subtype <> '*' then 1 else 0 end
                 + case when playbook.lifecycle_stage <> '*' then 1 else 0 end
                 + case when {{ playbook_cause }} <> '*' then 1 else 0 end) desc,
                case when playbook.variant = 'all' then 1 else 0 end,
                -- Between equally specific rules, the one for the main cause: it says what to fix.
                case when {{ playbook_cause }} <> '*' then 0 else 1 end,
                playbook.rule_id
        ) as match_rank
    from users
    cross join (select 'A' as arm union all select 'B') as arm_names
    inner join {{ ref('playbook') }} as playbook
        on playbook.variant in ('all', arm_names.arm)
        and playbook.risk_tier in ('*', users.risk_tier)
        and playbook.value_tier in ('*', users.value_tier)
        and playbook.silent_subtype in ('*', coalesce(users.silent_subtype, ''))
        and playbook.lifecycle_stage in ('*', users.lifecycle_stage)
        and {{ playbook_cause }} in ('*', coalesce(users.main_cause, ''))
),

rules_by_arm as (
    select
        matches.*,
        users.churn_probability * coalesce(future_values.expected_future_value, 0) * matches.save_rate
            - matches.cost as arm_expected_value
    from matches
    inner join users on users.user_id = matches.user_id
    left join future_values on future_values.user_id = matches.user_id
    where matches.match_rank = 1
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
        users.main_cause,
        users.main_cause_words,
        users.main_cause_evidence,
        users.symptom,
        users.model_version,
        rules.rule_id,
        case when rule_a.rule_id <> rule_b.rule_id then {{ text_var('ab_test_name') }} end as experiment,
        case when rule_a.rule_id <> rule_b.rule_id then arms.arm end as variant,
        rules.action_level,
        rules.action,
        rules.incentive_type,
        rules.coupon_value,
        rules.coupon_validity_days,
        rules.label_en,
        rules.label_zh,
        rules.save_rate,
        rules.cost,
        case
            when rules.action_level = 0 then null
            when rules.channel <> 'preferred' then rules.channel
            -- Offline-only shoppers cannot be messaged in the store: text them.
            when users.preferred_channel is null or users.preferred_channel = 'offline' then 'sms'
            else users.preferred_channel
        end as channel,
        -- The user's habitual active hour in local time; a person calls only in working hours.
        coalesce(
            (users.preferred_hour + {{ number_var('local_utc_offset_hours') }} + 24) % 24,
            {{ number_var('default_send_hour') }}
        ) as local_hour,
        rules.channel = 'phone' as is_call,
        cast(coalesce(future_values.expected_future_value, 0) as double) as expected_future_value,
        rules.arm_expected_value as expected_value,
        least(rule_a.arm_expected_value, rule_b.arm_expected_value) as selection_value,
        last_contacts.last_contact_date
    from users
    inner join arms on arms.user_id = users.user_id
    left join rules_by_arm as rules on rules.user_id = users.user_id and rules.for_arm = arms.arm
    left join rules_by_arm as rule_a on rule_a.user_id = users.user_id and rule_a.for_arm = 'A'
    left join rules_by_arm as rule_b on rule_b.user_id = users.user_id and rule_b.for_arm = 'B'
    left join future_values on future_values.user_id = users.user_id
    left join last_contacts on last_contacts.user_id = users.user_id
)

select
    {{ star_except(['local_hour', 'is_call']) }},
    cast(case when is_call then greatest(9, least(20, local_hour)) else local_hour end as integer) as send_hour,
    {{ dbt.dateadd('day', 1, 'decision_date') }} as send_date,
    case
        when rule_id is null then 'no_playbook_rule'
        when action_level = 0 then 'no_action_for_segment'
        -- The send (tomorrow) must come at least contact_cooldown_days after the last contact.
        when last_contact_date is not null
            and {{ dbt.datediff('last_contact_date', 'decision_date', 'day') }} + 1 < {{ number_var('contact_cooldown_days') }}
            then 'contacted_recently'
        when selection_value <= 0 then 'not_worth_the_cost'
    end as skip_reason
from candidates
