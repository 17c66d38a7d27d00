-- The chance that a user whose subscription has ended subscribes again within
-- churn_horizon_days, estimated from history: on each past observation date with a mature
-- horizon, the users whose subscription had ended, grouped by how long ago it ended, and the
-- share of them who started a new subscription in the horizon (all groups together where a
-- group has no case yet). One row per user with an ended
-- subscription on the latest date, with the rate of their group (the model scores live
-- subscriptions only: an ended one has nothing left to cancel, but can be won back).
-- Empty unless churn_definition is subscription.
{%- set horizon = number_var('churn_horizon_days') %}

with

{% if churn_definition() == 'subscription' %}
ended as (
    select user_id, as_of_date from {{ ref('user_churn_status') }}
    where churn_status = 'ended'
),

subs as (
    {{ subscription_events() }}
),

since_end as (
    select
        ended.user_id,
        ended.as_of_date,
        {{ dbt.datediff('max(subs.activity_date)', 'ended.as_of_date', 'day') }} as days_since_end
    from ended
    inner join subs
        on subs.user_id = ended.user_id
        and subs.event_type = 'subscription_end'
        and subs.activity_date <= ended.as_of_date
    group by ended.user_id, ended.as_of_date
),

grouped as (
    select
        user_id,
        as_of_date,
        days_since_end,
        case
            when days_since_end <= 30 then '0-30 days'
            when days_since_end <= 90 then '31-90 days'
            when days_since_end <= 180 then '91-180 days'
            else 'over 180 days'
        end as ended_since
    from since_end
),

returned as (
    select grouped.user_id, grouped.as_of_date, max(case when starts.user_id is null then 0 else 1 end) as came_back
    from grouped
    left join subs as starts
        on starts.user_id = grouped.user_id
        and starts.event_type = 'subscription_start'
        and starts.activity_date > grouped.as_of_date
        and starts.activity_date <= {{ dbt.dateadd('day', horizon, 'grouped.as_of_date') }}
    group by grouped.user_id, grouped.as_of_date
),

last_loaded as (
    select max(activity_date) as last_day from {{ ref('int_user_days_aggregated') }}
),

history as (
    select grouped.ended_since, count(*) as past_cases, avg(returned.came_back) as rate
    from grouped
    inner join returned on returned.user_id = grouped.user_id and returned.as_of_date = grouped.as_of_date
    cross join last_loaded
    where {{ dbt.dateadd('day', horizon, 'grouped.as_of_date') }} <= last_loaded.last_day
    group by grouped.ended_since
),

overall as (
    select sum(past_cases) as past_cases, sum(rate * past_cases) / nullif(sum(past_cases), 0) as rate from history
),

latest as (
    select * from grouped where as_of_date = {{ as_of_date_expr() }}
)

select
    latest.user_id,
    latest.as_of_date,
    latest.days_since_end,
    latest.ended_since,
    -- A group history has no case of yet takes the rate of all groups.
    cast(coalesce(history.rate, overall.rate) as double) as win_back_probability,
    coalesce(history.past_cases, overall.past_cases, 0) as past_cases,
    history.rate is not null as from_own_group
from latest
cross join overall
left join history on history.ended_since = latest.ended_since
{% else %}
none as (
    select
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as date) as as_of_date,
        cast(null as integer) as days_since_end,
        cast(null as {{ dbt.type_string() }}) as ended_since,
        cast(null as double) as win_back_probability,
        0 as past_cases,
        false as from_own_group
)

select * from none where false
{% endif %}
