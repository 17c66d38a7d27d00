-- The counting behind churn_cause_diagnosis, per cause family and observation date: the users
-- with evidence of the cause, and how often they churned against comparable users without
-- it. Comparable = the same date, engagement level (active days in the last 30, as the
-- per-user causes in ml/causes.py), value level (spend in the last 90 days: none, or the
-- date's lower, middle or upper third of spenders) and number of other causes with evidence
-- (0, 1, 2+). Within each such stratum the unaffected users' churn rate is what the affected
-- would have had without the cause: expected_churned sums affected users x that rate over
-- the strata that have both. Only users the shop still has on the date count (churn_status
-- 'active'): a user already lapsed is churned whatever happens next, and their old
-- grievances would be counted again on every later date.
-- Incremental, as churn_labels: a date's counts change only while its labels do, so a run
-- counts the dates the features build and those whose labels were immature; a change of the
-- evidence columns (feature_catalog) counts every date again. The dates are given as
-- literals (macro cause_count_dates): a range of dates reaches every joined table, a subquery
-- does not.
-- The rows are churn_training_set's, but read from only the models that hold the evidence
-- (macro training_set_joins): the view read whole went out of memory at a million users, as
-- DuckDB builds every join of it, used or not.
-- depends_on: {{ ref('feature_catalog') }}
-- depends_on: {{ ref('int_observation_dates') }}
-- depends_on: {{ ref('user_event_type_features') }}
{%- for model, _ in training_set_joins() %}
-- depends_on: {{ ref(model) }}
{%- endfor %}
{%- set evidence = cause_evidence_columns() %}
{%- set families = evidence | map(attribute=1) | unique | list %}
{%- set definition = [] %}
{%- for column, family, _, _ in evidence %}{% do definition.append(column ~ ':' ~ family) %}{% endfor %}
{%- set evidence_definition = local_md5(definition | join(',')) %}
{%- set dates = cause_count_dates(evidence_definition) %}
{#- Where each evidence column is read: a per-type count pivoted from user_event_type_features,
    or a column of a joined model (macro training_set_column). user_churn_status is joined
    anyway, for the status. #}
{%- set type_columns = [] %}
{%- set models = [] %}
{%- set expressions = {} %}
{%- for column, family, event_type, metric in evidence %}
{%- if event_type %}
{%- do type_columns.append((event_type, column, metric)) %}
{%- do expressions.update({column: 'type_features.' ~ column}) %}
{%- else %}
{%- set model, expression = training_set_column(column) %}
{%- if model not in models + ['user_features', 'user_churn_status'] %}{% do models.append(model) %}{% endif %}
{%- do expressions.update({column: expression}) %}
{%- endif %}
{%- endfor %}

with

{%- if type_columns %}
type_features as (
{{- type_features_pivot(type_columns) }}
),
{%- endif %}

rows as (
    select
        user_features.user_id,
        user_features.as_of_date,
        churn_labels.churned,
        churn_labels.label_mature,
        {{ engagement_level('coalesce(user_features.active_days_30d, 0)') }} as engagement_level,
        cast(coalesce(user_features.order_value_90d, 0) as decimal(18, 2)) as revenue_90d
        {%- for family in families %}
        {%- set flags = [] %}
        {%- for column, f, _, _ in evidence if f == family %}{% do flags.append('coalesce(' ~ expressions[column] ~ ', 0) > 0') %}{% endfor %},
        case when {{ flags | join(' or ') }} then 1 else 0 end as has_cause_{{ loop.index }}
        {%- endfor %}
    from {{ ref('user_features') }} as user_features
    inner join {{ ref('churn_labels') }} as churn_labels
        on churn_labels.user_id = user_features.user_id
        and churn_labels.as_of_date = user_features.as_of_date
    inner join {{ ref('user_churn_status') }} as user_churn_status
        on user_churn_status.user_id = user_features.user_id
        and user_churn_status.as_of_date = user_features.as_of_date
    {%- if type_columns %}
    left join type_features
        on type_features.user_id = user_features.user_id
        and type_features.as_of_date = user_features.as_of_date
    {%- endif %}
    {{- training_set_join(models) }}
    where user_churn_status.churn_status = 'active'
    {%- if not families %}
        {#- a log without evidence of any cause: nothing to count #}
        and 1 = 0
    {%- elif is_incremental() %}
        {%- set quoted_dates = [] %}
        {%- for day in dates %}{% do quoted_dates.append('cast(' ~ quoted(day) ~ ' as date)') %}{% endfor %}
        -- The range reaches every joined table (a list alone does not).
        and user_features.as_of_date between {{ quoted_dates | first or 'null' }} and {{ quoted_dates | last or 'null' }}
        and user_features.as_of_date in ({{ quoted_dates | join(', ') or 'null' }})
    {%- endif %}
),

valued as (
    select
        *,
        case when revenue_90d = 0 then 0 else 1 + ntile(3) over (
            partition by as_of_date, revenue_90d = 0 order by revenue_90d, user_id) end as value_level
    from rows
),

-- Users counted once per date, level and set of causes: every family's strata come from these
-- few rows. (A copy of every user-date per family went out of memory at a million users.)
combinations as (
    select
        as_of_date, engagement_level, value_level, label_mature,
        {%- for family in families %} has_cause_{{ loop.index }},{% endfor %}
        count(*) as users,
        sum(churned) as churned,
        sum(revenue_90d) as revenue_90d
    from valued
    group by as_of_date, engagement_level, value_level, label_mature
        {%- for family in families %}, has_cause_{{ loop.index }}{% endfor %}
),

-- One row per combination and cause family. Users with other causes churn more whatever this
-- one does, so how many other causes a user has (0, 1, 2+) is part of "comparable" too.
per_family as (
    {%- for family in families %}
    {%- set this_family = loop.index %}
    select
        {{ quoted(family) }} as cause_family,
        as_of_date, engagement_level, value_level, label_mature, users, churned, revenue_90d,
        has_cause_{{ this_family }} = 1 as affected,
        least(2, 0 {%- for other in families %}{% if loop.index != this_family %} + has_cause_{{ loop.index }}{% endif %}{% endfor %}) as other_causes
    from combinations
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as cause_family, as_of_date, engagement_level, value_level, label_mature,
        users, churned, revenue_90d, false as affected, 0 as other_causes
    from combinations
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
        min(case when label_mature then 1 else 0 end) as all_mature,
        sum(case when affected then users else 0 end) as users_affected,
        sum(case when affected then revenue_90d else 0 end) as revenue_affected,
        sum(case when affected and label_mature then users else 0 end) as affected_labelled,
        sum(case when affected and label_mature then churned else 0 end) as affected_churned,
        sum(case when not affected and label_mature then users else 0 end) as unaffected_labelled,
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
)

select
    cause_family,
    as_of_date,
    -- A date's labels mature together (its horizon closed on or before the last loaded day).
    min(all_mature) = 1 as labels_mature,
    cast(sum(users_affected) as {{ dbt.type_bigint() }}) as users_affected,
    cast(sum(revenue_affected) as decimal(18, 2)) as revenue_affected,
    cast(sum(affected_labelled) as {{ dbt.type_bigint() }}) as affected_labelled,
    cast(sum(affected_churned) as {{ dbt.type_bigint() }}) as affected_churned,
    cast(sum(case when unaffected_rate is not null then affected_labelled else 0 end) as {{ dbt.type_bigint() }})
        as matched_users,
    cast(sum(case when unaffected_rate is not null then affected_churned else 0 end) as {{ dbt.type_bigint() }})
        as matched_churned,
    cast(sum(affected_labelled * unaffected_rate) as double) as expected_churned,
    {{ quoted(evidence_definition) }} as evidence_definition
from matched
group by cause_family, as_of_date
