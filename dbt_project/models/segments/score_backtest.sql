-- The backtest ledger: every day's scores, once their horizon has closed, against what really
-- happened. One row per scoring date and model version, so decay over time is visible.
{%- set horizon = number_var('churn_horizon_days') %}

with

user_days as (
    select * from {{ ref('int_user_days_aggregated') }}
),

last_loaded as (
    select max(activity_date) as last_day from user_days
),

matured_scores as (
    select scores.user_id, scores.as_of_date, scores.model_version, scores.churn_probability
    from {{ source('ml', 'churn_scores') }} as scores
    cross join last_loaded
    where {{ dbt.dateadd('day', horizon, 'scores.as_of_date') }} <= last_loaded.last_day
),

outcomes as (
    select matured_scores.*, churn.churned
    from matured_scores
    inner join ({{ churn_outcomes('matured_scores') }}) as churn
        on churn.user_id = matured_scores.user_id and churn.as_of_date = matured_scores.as_of_date
),

-- Ranks for the Mann-Whitney AUC (ties share their average rank) and score deciles.
ranked as (
    select
        *,
        rank() over (partition by as_of_date, model_version order by churn_probability)
            + (count(*) over (partition by as_of_date, model_version, churn_probability) - 1) / 2.0 as score_rank,
        ntile(10) over (partition by as_of_date, model_version order by churn_probability desc, user_id) as decile
    from outcomes
),

per_date as (
    select
        as_of_date,
        model_version,
        count(*) as users,
        sum(churned) as churned_users,
        avg(cast(churned as double)) as realized_churn_rate,
        avg(churn_probability) as mean_churn_probability,
        sum(case when churned = 1 then score_rank else 0 end) as positive_rank_sum,
        avg(case when decile = 1 then cast(churned as double) end) as top_decile_churn_rate
    from ranked
    group by as_of_date, model_version
)

select
    as_of_date,
    model_version,
    users,
    cast(churned_users as {{ dbt.type_bigint() }}) as churned_users,
    cast(realized_churn_rate as double) as realized_churn_rate,
    cast(mean_churn_probability as double) as mean_churn_probability,
    cast(mean_churn_probability - realized_churn_rate as double) as calibration_gap,
    cast(
        (positive_rank_sum - churned_users * (churned_users + 1) / 2.0)
        / nullif(churned_users * (users - churned_users), 0)
    as double) as realized_roc_auc,
    cast(top_decile_churn_rate / nullif(realized_churn_rate, 0) as double) as top_decile_lift
from per_date
