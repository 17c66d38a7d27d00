-- The observation dates of the training spine: the scoring date (as_of_date) and the
-- anchored dates before it, every observation_interval_days counted from
-- observation_anchor_date, back over observation_history_days. Anchored dates do not move
-- when a new day is loaded, so each date's features are computed once and kept
-- (the incremental feature models); only the scoring date is new every day.
{%- set interval = number_var('observation_interval_days') %}
{%- set n_dates = (number_var('observation_history_days') // interval) + 1 %}

with

scoring_date as (
    select cast({{ as_of_date_expr() }} as date) as as_of_date
),

latest_anchored as (
    select cast({{ dbt.dateadd(
        'day',
        '-(' ~ dbt.datediff(date_var('observation_anchor_date'), 'as_of_date', 'day') ~ ' % ' ~ interval ~ ')',
        'as_of_date') }} as date) as as_of_date
    from scoring_date
),

dates as (
    select as_of_date from scoring_date
    {%- for k in range(n_dates) %}
    union
    select cast({{ dbt.dateadd('day', -k * interval, 'as_of_date') }} as date) as as_of_date
    from latest_anchored
    {%- endfor %}
)

select
    cast(row_number() over (order by as_of_date desc) - 1 as integer) as dates_back,
    as_of_date
from dates
where as_of_date >= cast({{ dbt.dateadd('day', -number_var('observation_history_days'), '(select as_of_date from scoring_date)') }} as date)
