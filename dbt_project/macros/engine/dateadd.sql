{# dbt.dateadd, found here first (dispatch in dbt_project.yml). Spark's own version returns a
   timestamp even for days added to a date; every model adds days to dates and compares or
   stores the result as a date, as DuckDB returns it, so on Spark days go through date_add.
   Other dateparts and other engines keep dbt's version. #}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
  {%- if datepart == 'day' -%}
    date_add({{ from_date_or_timestamp }}, {{ interval }})
  {%- else -%}
    {{ dbt_spark.spark__dateadd(datepart, interval, from_date_or_timestamp) }}
  {%- endif -%}
{% endmacro %}
