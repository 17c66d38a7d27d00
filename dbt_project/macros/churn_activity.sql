{# What churn means (var churn_definition), in one place for the labels, the status and the
   backtest:
   - no_order: no order in the horizon (a shop);
   - no_activity: no action of the user at all (the shop's own sends do not count);
   - no_event_of: no event of the types in var churn_event_types ("no post and no order");
   - subscription: the subscription ends within the horizon; only users with a live
     subscription are on the churn spine. Subscriptions come from subscription_start /
     subscription_end events, from the optional subscriptions file (raw.subscriptions: a
     start on start_date, an end on end_date, the first day without access), or both. #}

{% macro churn_definition() %}
  {%- set definition = var('churn_definition') %}
  {%- if definition not in ['no_order', 'no_activity', 'no_event_of', 'subscription'] %}
    {{ exceptions.raise_compiler_error("var churn_definition must be one of no_order, no_activity, no_event_of, subscription; got " ~ definition) }}
  {%- endif %}
  {%- if definition == 'no_event_of' and not var('churn_event_types') %}
    {{ exceptions.raise_compiler_error("churn_definition no_event_of needs var churn_event_types, a list of event types, e.g. [post, order]") }}
  {%- endif %}
  {{- return(definition) -}}
{% endmacro %}

{# (user_id, activity_date) of the days with activity that keeps a user from churning under a
   non-contractual definition. #}
{% macro retention_days() %}
  {%- set definition = churn_definition() %}
  {%- if definition == 'no_order' %}
    select user_id, activity_date from {{ ref('int_user_days_aggregated') }} where orders > 0
  {%- else %}
    select distinct type_days.user_id, type_days.activity_date
    from {{ ref('int_user_event_type_days') }} as type_days
    {%- if definition == 'no_event_of' %}
    where type_days.event_type in ({% for t in var('churn_event_types') %}{{ quoted(t | lower | trim) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else %}
    left join {{ ref('event_type_families') }} as families on families.event_type = type_days.event_type
    where coalesce(families.is_user_action, true)
    {%- endif %}
  {%- endif %}
{% endmacro %}

{# Subscription starts and ends with their times (start and end may fall on the same day):
   the events, then the file's spells, a start at midnight of start_date and an end at
   midnight of end_date. A spell that ends on the day the user's next one starts is not an
   end (no day without access; equal times would otherwise read as ended). #}
{% macro subscription_events() %}
    select user_id, event_time, cast(event_time as date) as activity_date, event_type
    from {{ ref('stg_events__events') }}
    where event_type in ('subscription_start', 'subscription_end')

    union all

    select user_id, cast(start_date as {{ dbt.type_timestamp() }}), start_date, 'subscription_start'
    from {{ source('raw', 'subscriptions') }}

    union all

    select spells.user_id, cast(spells.end_date as {{ dbt.type_timestamp() }}), spells.end_date, 'subscription_end'
    from {{ source('raw', 'subscriptions') }} as spells
    left join {{ source('raw', 'subscriptions') }} as next_spells
        on next_spells.user_id = spells.user_id and next_spells.start_date = spells.end_date
    where spells.end_date is not null and next_spells.user_id is null
{% endmacro %}

{# Per row of `spine` (a relation or CTE with user_id, as_of_date): churned 1/0 in the
   churn_horizon_days after as_of_date, by the churn definition. #}
{% macro churn_outcomes(spine) %}
  {%- set horizon = number_var('churn_horizon_days') %}
  {%- if churn_definition() == 'subscription' %}
    select spine.user_id, spine.as_of_date,
        max(case when ends.user_id is null then 0 else 1 end) as churned
    from {{ spine }} as spine
    left join ({{ subscription_events() }}) as ends
        on ends.user_id = spine.user_id
        and ends.event_type = 'subscription_end'
        and ends.activity_date > spine.as_of_date
        and ends.activity_date <= {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date
  {%- else %}
    {#- The spine's rows laid among the user's kept days, one series per user ordered by day: a
        range window over the horizon after each spine row counts the kept days in it. Each kept
        day is read once, not once per spine date whose horizon holds it (a join): a daily run's
        labels (10 open dates) at 1 M users in 8.7 s instead of 11.1 s, the same rows. The
        status (churn_status, below) keeps its join: it looks back from one date a day, which
        the join does faster (5.1 s against 6.2 s at 1 M users). #}
    select user_id, as_of_date, case when coalesce(kept_ahead, 0) = 0 then 1 else 0 end as churned
    from (
        select user_id, as_of_date, is_spine,
            sum(is_kept) over (partition by user_id order by day_number
                range between 1 following and {{ horizon }} following) as kept_ahead
        from (
            select distinct user_id, as_of_date, 1 as is_spine, 0 as is_kept,
                {{ dbt.datediff("cast('1970-01-01' as date)", 'as_of_date', 'day') }} as day_number
            from {{ spine }}
            union all
            select kept.user_id, kept.activity_date, 0, 1,
                {{ dbt.datediff("cast('1970-01-01' as date)", 'kept.activity_date', 'day') }}
            from ({{ retention_days() }}) as kept
            where kept.activity_date > (select min(as_of_date) from {{ spine }})
        ) as series
    ) as counted
    where is_spine = 1
  {%- endif %}
{% endmacro %}

{# Per row of `spine` (user_id, as_of_date): where the user stands on the date under the
   churn definition (see user_churn_status): 'active' or 'lapsed' (no qualifying activity in
   the churn_horizon_days up to the date) for the non-contractual definitions; 'active' (a live
   subscription), 'ended' or 'never_subscribed' under subscription. #}
{% macro churn_status(spine) %}
  {%- set horizon = number_var('churn_horizon_days') %}
  {%- if churn_definition() == 'subscription' %}
    select
        spine.user_id,
        spine.as_of_date,
        case
            when last_events.last_start is not null
                and (last_events.last_end is null or last_events.last_end < last_events.last_start) then 'active'
            when last_events.last_end is not null then 'ended'
            else 'never_subscribed'
        end as churn_status
    from {{ spine }} as spine
    left join (
        select
            spine.user_id,
            spine.as_of_date,
            max(case when subs.event_type = 'subscription_start' then subs.event_time end) as last_start,
            max(case when subs.event_type = 'subscription_end' then subs.event_time end) as last_end
        from {{ spine }} as spine
        inner join ({{ subscription_events() }}) as subs
            on subs.user_id = spine.user_id
            and subs.activity_date <= spine.as_of_date
        group by spine.user_id, spine.as_of_date
    ) as last_events
        on last_events.user_id = spine.user_id and last_events.as_of_date = spine.as_of_date
  {%- else %}
    select
        spine.user_id,
        spine.as_of_date,
        case when last_kept.last_kept_date is null then 'lapsed' else 'active' end as churn_status
    from {{ spine }} as spine
    left join (
        select spine.user_id, spine.as_of_date, max(kept.activity_date) as last_kept_date
        from {{ spine }} as spine
        inner join ({{ retention_days() }}) as kept
            on kept.user_id = spine.user_id
            and kept.activity_date <= spine.as_of_date
            and kept.activity_date > {{ dbt.dateadd('day', -horizon, 'spine.as_of_date') }}
        group by spine.user_id, spine.as_of_date
    ) as last_kept
        on last_kept.user_id = spine.user_id and last_kept.as_of_date = spine.as_of_date
  {%- endif %}
{% endmacro %}
