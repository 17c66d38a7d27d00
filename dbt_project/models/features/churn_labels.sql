-- Forward-looking label per (user, observation date): churned when the user does nothing
-- that counts (an order, or any activity with churn_definition = no_activity) in the
-- churn_horizon_days after the date. Labels whose window extends past the last loaded day
-- are immature: kept for scoring, never used for training or evaluation.
{%- set horizon = var('churn_horizon_days') %}

with

spine as (
    select user_id, as_of_date from {{ ref('user_features') }}
),

user_days as (
    select * from {{ ref('int_user_days_aggregated') }}
),

last_loaded as (
    select max(activity_date) as last_day from user_days
),

future_activity as (
    select spine.user_id, spine.as_of_date, count(*) as qualifying_days
    from spine
    inner join user_days
        on user_days.user_id = spine.user_id
        and user_days.activity_date > spine.as_of_date
        and user_days.activity_date <= {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }}
        and user_days.{{ churn_activity_column() }} > 0
    group by spine.user_id, spine.as_of_date
)

select
    spine.user_id,
    spine.as_of_date,
    case when future_activity.qualifying_days is null then 1 else 0 end as churned,
    {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }} <= last_loaded.last_day as label_mature,
    {{ horizon }} as horizon_days,
    '{{ var("churn_definition") }}' as churn_definition
from spine
cross join last_loaded
left join future_activity
    on future_activity.user_id = spine.user_id
    and future_activity.as_of_date = spine.as_of_date
