{# SQL that DuckDB and Spark spell differently, one macro each (adapter.dispatch). #}

{# Every column but `columns`: DuckDB says `* exclude (...)`, Spark `* except (...)`. #}
{% macro star_except(columns) %}
  {{- return(adapter.dispatch('star_except')(columns)) -}}
{% endmacro %}

{% macro default__star_except(columns) %}* exclude ({{ columns | join(', ') }}){% endmacro %}

{% macro spark__star_except(columns) %}* except ({{ columns | join(', ') }}){% endmacro %}

{# The distinct values of a text column of a group, joined by `separator`. On Spark they are
   sorted, which is stable; DuckDB keeps its own order (one label per arm in practice). #}
{% macro distinct_text_agg(column, separator) %}
  {{- return(adapter.dispatch('distinct_text_agg')(column, separator)) -}}
{% endmacro %}

{% macro default__distinct_text_agg(column, separator) %}string_agg(distinct {{ column }}, {{ quoted(separator) }}){% endmacro %}

{% macro spark__distinct_text_agg(column, separator) %}array_join(array_sort(collect_set({{ column }})), {{ quoted(separator) }}){% endmacro %}
