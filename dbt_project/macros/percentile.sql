{# Continuous percentile of a column within a group, per engine. #}
{% macro percentile(column, fraction) %}
  {{ return(adapter.dispatch('percentile')(column, fraction)) }}
{% endmacro %}

{% macro default__percentile(column, fraction) %}
  percentile_cont({{ fraction }}) within group (order by {{ column }})
{% endmacro %}

{% macro duckdb__percentile(column, fraction) %}
  quantile_cont({{ column }}, {{ fraction }})
{% endmacro %}

{# percentile(), not percentile_approx(): the exact interpolated value, as DuckDB's quantile_cont. #}
{% macro spark__percentile(column, fraction) %}
  percentile({{ column }}, {{ fraction }})
{% endmacro %}
