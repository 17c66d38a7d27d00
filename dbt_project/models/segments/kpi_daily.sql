-- Business KPIs per day with data, read by BI. Rebuilt whole each run from the user-day
-- table (not raw events): churn_rate changes as labels mature, so past days are not final.
--
-- Active users over a window (WAU, MAU) are counted without joining each day to its 30
-- previous days: a user's active days cover [day, day + W - 1]; overlapping covers merge
-- into runs, +1 on the day a run starts and -1 on the day after it ends, and the running
-- sum of those changes is the number of users in the window. Cost grows with user-days,
-- not user-days x W.
-- The churn macros read the subscriptions file under the subscription definition only; the
-- manifest Dagster loads is parsed with the default one (see user_churn_status).
-- depends_on: {{ source('raw', 'subscriptions') }}
{%- set silent_days = number_var('silent_days') %}
{%- set horizon = number_var('churn_horizon_days') %}
{%- set windows = {'wau': 7, 'mau': 30} %}

with

-- Only days up to the run's "today", so a run as of D never shows days after D.
user_days as (
    select user_id, activity_date, orders, order_value, signups
    from {{ ref('int_user_days_aggregated') }}
    where activity_date <= {{ as_of_date_expr() }}
),

loaded_days as (
    select min(activity_date) as first_day from user_days
),

-- Each user-day beside the user's previous and next active day and last earlier order day.
user_day_neighbours as (
    select
        user_id,
        activity_date,
        orders,
        order_value,
        lag(activity_date) over (partition by user_id order by activity_date) as previous_active_date,
        lead(activity_date) over (partition by user_id order by activity_date) as next_active_date,
        max(case when orders > 0 then activity_date end) over (
            partition by user_id order by activity_date
            rows between unbounded preceding and 1 preceding
        ) as previous_order_date
    from user_days
),

-- +1 when a user enters a window after more than W days away (or for the first time),
-- -1 W days after their last active day when the next one is more than W days later.
-- Every activity date gets a 0 row so it appears in the running sum.
window_changes as (
    select distinct activity_date as change_date, 'none' as window_name, 0 as users_delta
    from user_days
    {%- for name, days in windows.items() %}
    union all
    select activity_date, '{{ name }}', 1
    from user_day_neighbours
    where previous_active_date is null
        or {{ dbt.datediff('previous_active_date', 'activity_date', 'day') }} > {{ days }}
    union all
    select cast({{ dbt.dateadd('day', days, 'activity_date') }} as date), '{{ name }}', -1
    from user_day_neighbours
    where next_active_date is null
        or {{ dbt.datediff('activity_date', 'next_active_date', 'day') }} > {{ days }}
    {%- endfor %}
),

daily_changes as (
    select
        change_date,
        {%- for name in windows %}
        sum(case when window_name = '{{ name }}' then users_delta else 0 end) as {{ name }}_change{{ ',' if not loop.last }}
        {%- endfor %}
    from window_changes
    group by change_date
),

window_users as (
    select
        change_date as activity_date,
        {%- for name in windows %}
        sum({{ name }}_change) over (order by change_date rows between unbounded preceding and current row) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from daily_changes
),

-- A user is new on their signup day, or on their first active day when the source has no
-- signup for them.
user_starts as (
    select
        user_id,
        coalesce(min(case when signups > 0 then activity_date end), min(activity_date)) as start_date
    from user_days
    group by user_id
),

daily_new_users as (
    select start_date as activity_date, count(*) as new_users
    from user_starts
    group by start_date
),

daily_activity as (
    select
        activity_date,
        count(distinct user_id) as dau,
        sum(case when orders > 0 then 1 else 0 end) as active_buyers,
        sum(case when orders > 0 and previous_order_date is not null then 1 else 0 end) as repeat_buyers,
        sum(orders) as orders,
        sum(order_value) as order_value,
        sum(case
            when {{ dbt.datediff('previous_active_date', 'activity_date', 'day') }} >= {{ silent_days }} then 1
            else 0
        end) as reactivated_users
    from user_day_neighbours
    group by activity_date
),

-- Churn on every day whose label window has closed (the churn_horizon_days after it are
-- loaded: an open window would count users as churned who have not had the time to come back),
-- among the users active that day (churn_status 'active'; long-lapsed users would make the rate
-- say more about the past than about the day), as churn_labels and user_churn_status mean them.
closed_days as (
    select activity_date as as_of_date
    from daily_activity
    where {{ dbt.dateadd('day', horizon, 'activity_date') }} <= (select max(activity_date) from user_days)
),
{%- if churn_definition() == 'subscription' %}

-- The churn_status and churn_outcomes macros on a daily spine of every user known by the day.
daily_spine as (
    select user_starts.user_id, closed_days.as_of_date
    from closed_days
    inner join (select user_id, min(activity_date) as first_day from user_days group by user_id) as user_starts
        on user_starts.first_day <= closed_days.as_of_date
),

daily_status as (
    {{ churn_status('daily_spine') }}
),

daily_active as (
    select user_id, as_of_date from daily_status where churn_status = 'active'
),

daily_outcomes as (
    {{ churn_outcomes('daily_active') }}
),

matured_churn as (
    select as_of_date, avg(cast(churned as double)) as churn_rate
    from daily_outcomes
    group by as_of_date
),
{%- else %}

-- Without a spine of every user x every day (30 M rows at a million users): a user is active on
-- a day when they have a kept day (macro retention_days) in the horizon up to it, and churned
-- when they have none in the horizon after it. Between a kept day k and the next one, the user
-- is active on [k, min(next - 1, k + h - 1)] and churned on [k, min(k + h - 1, next - h - 1)]
-- (empty when they came back within the horizon); counted as the windows above, +1 on the first
-- day and -1 the day after the last, in a running sum.
kept_days as (
    select
        user_id,
        activity_date,
        lead(activity_date) over (partition by user_id order by activity_date) as next_kept_date
    from ({{ retention_days() }}) as kept
    where activity_date <= (select max(activity_date) from user_days)
),

kept_spans as (
    select
        activity_date as first_day,
        cast(case
            when next_kept_date is null then {{ dbt.dateadd('day', horizon - 1, 'activity_date') }}
            else least({{ dbt.dateadd('day', -1, 'next_kept_date') }}, {{ dbt.dateadd('day', horizon - 1, 'activity_date') }})
        end as date) as last_active_day,
        cast(case
            when next_kept_date is null then {{ dbt.dateadd('day', horizon - 1, 'activity_date') }}
            else least({{ dbt.dateadd('day', -horizon - 1, 'next_kept_date') }}, {{ dbt.dateadd('day', horizon - 1, 'activity_date') }})
        end as date) as last_churned_day
    from kept_days
),

churn_changes as (
    select as_of_date as change_date, 0 as active_change, 0 as churned_change from closed_days
    union all
    select first_day, 1, 0 from kept_spans
    union all
    select cast({{ dbt.dateadd('day', 1, 'last_active_day') }} as date), -1, 0 from kept_spans
    union all
    select first_day, 0, 1 from kept_spans where last_churned_day >= first_day
    union all
    select cast({{ dbt.dateadd('day', 1, 'last_churned_day') }} as date), 0, -1 from kept_spans
    where last_churned_day >= first_day
),

daily_churn_changes as (
    select change_date, sum(active_change) as active_change, sum(churned_change) as churned_change
    from churn_changes
    group by change_date
),

daily_churn as (
    select
        change_date as as_of_date,
        sum(active_change) over (order by change_date rows between unbounded preceding and current row) as active_users,
        sum(churned_change) over (order by change_date rows between unbounded preceding and current row) as churned_users
    from daily_churn_changes
),

matured_churn as (
    select daily_churn.as_of_date, cast(daily_churn.churned_users as double) / nullif(daily_churn.active_users, 0) as churn_rate
    from daily_churn
    inner join closed_days on closed_days.as_of_date = daily_churn.as_of_date
),
{%- endif %}

-- Windows reaching back before the first loaded day would be undercounted: null, not low.
daily as (
    select
        daily_activity.*,
        {{ dbt.datediff('loaded_days.first_day', 'daily_activity.activity_date', 'day') }} as days_loaded_before
    from daily_activity
    cross join loaded_days
)

select
    daily.activity_date,
    cast(daily.dau as {{ dbt.type_bigint() }}) as dau,
    {%- for name, days in windows.items() %}
    cast(case when daily.days_loaded_before >= {{ days - 1 }} then window_users.{{ name }} end as {{ dbt.type_bigint() }}) as {{ name }},
    {%- endfor %}
    -- On the first loaded day everyone without a signup looks new.
    cast(case when daily.days_loaded_before > 0 then coalesce(daily_new_users.new_users, 0) end as {{ dbt.type_bigint() }}) as new_users,
    cast(daily.active_buyers as {{ dbt.type_bigint() }}) as active_buyers,
    cast(daily.orders as {{ dbt.type_bigint() }}) as orders,
    cast(case when daily.orders = 0 then 0 else daily.order_value end as double) as gmv,
    cast(daily.order_value as double) / nullif(daily.orders, 0) as average_order_value,
    cast(daily.active_buyers as double) / nullif(daily.dau, 0) as visit_to_order_conversion,
    cast(daily.repeat_buyers as double) / nullif(daily.active_buyers, 0) as repurchase_rate,
    cast(matured_churn.churn_rate as double) as churn_rate,
    case
        when daily.days_loaded_before >= {{ silent_days }}
        then cast(daily.reactivated_users as double) / nullif(daily.dau, 0)
    end as reactivation_rate
from daily
inner join window_users on window_users.activity_date = daily.activity_date
left join daily_new_users on daily_new_users.activity_date = daily.activity_date
left join matured_churn on matured_churn.as_of_date = daily.activity_date
