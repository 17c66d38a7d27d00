-- Weekly retention of signup cohorts, read by BI. A user's cohort is the week of their
-- first active day; weeks start on the engine's week start (Monday on DuckDB and Spark).
--
-- Only fully observed weeks are shown, at both ends:
-- - a week that ends after the last loaded day would show a partial week as a drop;
-- - a cohort week that starts before the first loaded day mixes in users who were active
--   before the data begins (their first active day in the data is not their first ever).
with

user_days as (
    select user_id, activity_date
    from {{ ref('int_user_days_aggregated') }}
    where activity_date <= {{ as_of_date_expr() }}
),

loaded_days as (
    select min(activity_date) as first_day, max(activity_date) as last_day from user_days
),

user_weeks as (
    select distinct
        user_id,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as activity_week
    from user_days
),

user_cohorts as (
    select user_id, min(activity_week) as cohort_week
    from user_weeks
    group by user_id
),

cohort_sizes as (
    select user_cohorts.cohort_week, count(*) as cohort_users
    from user_cohorts
    cross join loaded_days
    where user_cohorts.cohort_week >= loaded_days.first_day
    group by user_cohorts.cohort_week
),

-- Weeks are taken from the data rather than a calendar: a week with no activity at all
-- would have no row (never the case for a live product).
observed_weeks as (
    select distinct user_weeks.activity_week
    from user_weeks
    cross join loaded_days
    where cast({{ dbt.dateadd('day', 6, 'user_weeks.activity_week') }} as date) <= loaded_days.last_day
),

-- Every cohort with every observed week from its own on, so weeks nobody came back show 0.
cohort_weeks as (
    select cohort_sizes.cohort_week, cohort_sizes.cohort_users, observed_weeks.activity_week
    from cohort_sizes
    inner join observed_weeks on observed_weeks.activity_week >= cohort_sizes.cohort_week
),

cohort_activity as (
    select user_cohorts.cohort_week, user_weeks.activity_week, count(*) as active_users
    from user_weeks
    inner join user_cohorts on user_cohorts.user_id = user_weeks.user_id
    group by user_cohorts.cohort_week, user_weeks.activity_week
)

select
    cohort_weeks.cohort_week,
    cast({{ dbt.datediff('cohort_weeks.cohort_week', 'cohort_weeks.activity_week', 'week') }} as integer) as weeks_since_signup,
    cast(cohort_weeks.cohort_users as {{ dbt.type_bigint() }}) as cohort_users,
    cast(coalesce(cohort_activity.active_users, 0) as {{ dbt.type_bigint() }}) as active_users,
    cast(coalesce(cohort_activity.active_users, 0) as double) / cohort_weeks.cohort_users as retention_rate
from cohort_weeks
left join cohort_activity
    on cohort_activity.cohort_week = cohort_weeks.cohort_week
    and cohort_activity.activity_week = cohort_weeks.activity_week
