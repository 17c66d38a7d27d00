-- Every event type of the log with how common it is, its cause family and whether it is a
-- model feature: the feature_event_types most frequent user actions (by user-days), so the
-- model sees a social app's "post" and "like" as it sees a shop's "order".
-- Families: the mapping's reason_families (var), else the seed event_type_families, else
-- falling_engagement (a custom type is activity until the mapping says otherwise).
{%- set overrides = var('reason_families', {}) %}

with

type_days as (
    select
        event_type,
        count(*) as user_days,
        count(distinct user_id) as users,
        sum(events) as events
    from {{ ref('int_user_event_type_days') }}
    group by event_type
),

mapped_families as (
    {%- for event_type, family in overrides.items() %}
    select {{ quoted(event_type | lower | trim) }} as event_type, {{ quoted(family) }} as family
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as event_type, cast(null as {{ dbt.type_string() }}) as family
    where 1 = 0
    {%- endfor %}
),

described as (
    select
        type_days.*,
        coalesce(mapped_families.family, seed.family, 'falling_engagement') as family,
        coalesce(seed.is_user_action, true) as is_user_action,
        {{ slug('type_days.event_type') }} as feature_stem
    from type_days
    left join mapped_families on mapped_families.event_type = type_days.event_type
    left join {{ ref('event_type_families') }} as seed on seed.event_type = type_days.event_type
),

ranked as (
    select
        *,
        case when is_user_action then
            row_number() over (partition by is_user_action order by user_days desc, event_type)
        end as type_rank
    from described
)

select
    event_type,
    feature_stem,
    family,
    is_user_action,
    cast(user_days as {{ dbt.type_bigint() }}) as user_days,
    cast(users as {{ dbt.type_bigint() }}) as users,
    cast(events as {{ dbt.type_bigint() }}) as events,
    type_rank,
    coalesce(type_rank <= {{ number_var('feature_event_types') }}, false) as is_feature
from ranked
