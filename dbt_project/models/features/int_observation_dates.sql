-- The observation dates of the training spine: as_of_date and every
-- observation_interval_days before it, back over observation_history_days.
{%- set interval = var('observation_interval_days') %}
{%- set n_dates = (var('observation_history_days') // interval) + 1 %}

{% for k in range(n_dates) %}
select
    {{ k }} as dates_back,
    cast({{ dbt.dateadd('day', -k * interval, as_of_date_expr()) }} as date) as as_of_date
{% if not loop.last %}union all{% endif %}
{% endfor %}
