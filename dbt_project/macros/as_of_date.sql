{# The "today" of features and segments: the as_of_date var, else the latest day with events. #}
{% macro as_of_date_expr() %}
  {%- if var('as_of_date') -%}
    {{ date_var('as_of_date') }}
  {%- else -%}
    (select max(activity_date) from {{ ref('int_user_days_aggregated') }})
  {%- endif -%}
{% endmacro %}
