-- Which defect costs how many users: per cause family and observation date (weekly), the
-- users with evidence of the cause, how often they churned against comparable users without
-- it, and the churners in excess (counted per date in int_cause_churn_by_date, which says
-- what "comparable" is): excess churners = affected churners - those expected at the
-- comparable users' rate. Rates need mature labels: the latest dates list users affected only.

with

measured as (
    select
        cause_family,
        as_of_date,
        users_affected,
        labels_mature,
        cast(affected_churned as double) / nullif(affected_labelled, 0) as churn_rate_affected,
        expected_churned / nullif(matched_users, 0) as churn_rate_comparable,
        matched_users,
        case when matched_users > 0 then matched_churned - expected_churned end as excess_churners,
        revenue_affected / nullif(users_affected, 0) as revenue_90d_per_user
    from {{ ref('int_cause_churn_by_date') }}
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
