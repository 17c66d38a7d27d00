-- Forward-looking label per (user, observation date) on the churn spine: churned when the
-- user does what the churn definition calls churn in the churn_horizon_days after the date
-- (macro churn_outcomes). Labels whose window extends past the last loaded day are
-- immature: kept for scoring, never used for training or evaluation.
-- Incremental: a label changes only while its window is open, so a run computes the dates
-- the features build (new dates, the scoring date, dates from a reloaded landing day on),
-- the dates whose labels were immature, and the dates whose window takes in a reloaded
-- landing day (run_var start_date). A closed window's label is never recomputed. Configured
-- as the per-date models are (dbt_project.yml).
{%- set horizon = number_var('churn_horizon_days') %}
-- depends_on: {{ ref('int_observation_dates') }}

with

spine as (
    select user_id, as_of_date from {{ ref('user_churn_status') }}
    where on_churn_spine and ({{ dates_with_open_labels('label_mature') }})
),

outcomes as (
    {{ churn_outcomes('spine') }}
),

last_loaded as (
    select max(activity_date) as last_day from {{ ref('int_user_days_aggregated') }}
)

select
    outcomes.user_id,
    outcomes.as_of_date,
    outcomes.churned,
    {{ dbt.dateadd('day', horizon, 'outcomes.as_of_date') }} <= last_loaded.last_day as label_mature,
    {{ horizon }} as horizon_days,
    {{ quoted(churn_definition()) }} as churn_definition
from outcomes
cross join last_loaded
