-- Which defect costs how many users: per cause family and observation date (weekly), the
-- users with evidence of the cause, how often they churned against comparable users without
-- it, and the churners in excess. Comparable = the same date, engagement level (active days
-- in the last 30, as the per-user causes in ml/causes.py), value level (spend in the last 90
-- days: none, or the date's lower, middle or upper third of spenders) and number of other
-- causes with evidence (0, 1, 2+). Within each such
-- stratum the unaffected users' churn rate is what the affected would have had without the
-- cause; excess churners = affected churners - affected users x that rate, summed over the
-- strata that have both. Rates need mature labels: the latest dates list users affected only.
-- Only users the shop still has on the date count (churn_status 'active'): a user already
-- lapsed is churned whatever happens next, and their old grievances would be counted again
-- on every later date.
-- depends_on: {{ ref('feature_catalog') }}
{%- set evidence = cause_evidence_columns() %}
{%- set families = evidence | map(attribute=1) | unique | list %}

with

rows as (
    select
        user_id,
        as_of_date,
        churned,
        label_mature,
        {{ engagement_level('coalesce(active_days_30d, 0)') }} as engagement_level,
        cast(coalesce(order_value_90d, 0) as decimal(18, 2)) as revenue_90d
        {%- for family in families %}
        {%- set flags = [] %}
        {%- for column, f in evidence if f == family %}{% do flags.append('coalesce(' ~ column ~ ', 0) > 0') %}{% endfor %},
        case when {{ flags | join(' or ') }} then 1 else 0 end as has_cause_{{ loop.index }}
        {%- endfor %}
    from {{ ref('churn_training_set') }}
    where churn_status = 'active'
),

valued as (
    select
        *,
        case when revenue_90d = 0 then 0 else 1 + ntile(3) over (
            partition by as_of_date, revenue_90d = 0 order by revenue_90d, user_id) end as value_level
    from rows
),

-- One row per user, date and cause family. Users with other causes churn more whatever this
-- one does, so how many other causes a user has (0, 1, 2+) is part of "comparable" too.
per_family as (
    {%- for family in families %}
    {%- set this = loop.index %}
    select
        {{ quoted(family) }} as cause_family,
        user_id, as_of_date, churned, label_mature, engagement_level, value_level, revenue_90d,
        has_cause_{{ this }} = 1 as affected,
        least(2, 0 {%- for other in families %}{% if loop.index != this %} + has_cause_{{ loop.index }}{% endif %}{% endfor %}) as other_causes
    from valued
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as cause_family, user_id, as_of_date, churned, label_mature,
        engagement_level, value_level, revenue_90d, false as affected, 0 as other_causes
    from valued
    where 1 = 0
    {%- endfor %}
),

strata as (
    select
        cause_family,
        as_of_date,
        engagement_level,
        value_level,
        other_causes,
        sum(case when affected then 1 else 0 end) as users_affected,
        sum(case when affected then revenue_90d else 0 end) as revenue_affected,
        sum(case when affected and label_mature then 1 else 0 end) as affected_labelled,
        sum(case when affected and label_mature then churned else 0 end) as affected_churned,
        sum(case when not affected and label_mature then 1 else 0 end) as unaffected_labelled,
        sum(case when not affected and label_mature then churned else 0 end) as unaffected_churned
    from per_family
    group by cause_family, as_of_date, engagement_level, value_level, other_causes
),

matched as (
    select
        *,
        -- Only strata with users on both sides are compared.
        case when affected_labelled > 0 and unaffected_labelled > 0
            then cast(unaffected_churned as double) / unaffected_labelled end as unaffected_rate
    from strata
),

weekly as (
    select
        cause_family,
        as_of_date,
        sum(users_affected) as users_affected,
        sum(revenue_affected) as revenue_affected,
        sum(affected_labelled) as affected_labelled,
        sum(affected_churned) as affected_churned,
        sum(case when unaffected_rate is not null then affected_labelled else 0 end) as matched_users,
        sum(case when unaffected_rate is not null then affected_churned else 0 end) as matched_churned,
        sum(affected_labelled * unaffected_rate) as expected_churned
    from matched
    group by cause_family, as_of_date
),

measured as (
    select
        cause_family,
        as_of_date,
        users_affected,
        affected_labelled > 0 as labels_mature,
        cast(affected_churned as double) / nullif(affected_labelled, 0) as churn_rate_affected,
        expected_churned / nullif(matched_users, 0) as churn_rate_comparable,
        matched_users,
        case when matched_users > 0 then matched_churned - expected_churned end as excess_churners,
        revenue_affected / nullif(users_affected, 0) as revenue_90d_per_user
    from weekly
)

select
    cause_family,
    as_of_date,
    cast(users_affected as {{ dbt.type_bigint() }}) as users_affected,
    labels_mature,
    cast(churn_rate_affected as double) as churn_rate_affected,
    cast(churn_rate_comparable as double) as churn_rate_comparable,
    cast(matched_users as {{ dbt.type_bigint() }}) as matched_users,
    cast(round(excess_churners, 1) as double) as excess_churners,
    -- The 90-day revenue the excess churners brought, at the affected users' average.
    cast(round(excess_churners * revenue_90d_per_user, 2) as double) as revenue_at_risk,
    -- Against the previous observation date: above 0 = the cause costs more users than before.
    cast(round(excess_churners - lag(excess_churners) over (partition by cause_family order by as_of_date), 1) as double)
        as excess_churners_change
from measured
