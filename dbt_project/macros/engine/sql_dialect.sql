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

{# Written after `name as` of a CTE that several parts of a query read: DuckDB then inlines it
   into each, where its filters and column choices reach the scan, instead of writing the
   whole CTE once and reading it back. On the first build of int_user_days_aggregated at
   100 k users that copy of every event spilled 2.8 GB to disk (about 28 GB at a million) and
   took 2.3x the time. Spark plans a CTE inline anyway and has no such keyword. #}
{% macro inlined() %}
  {{- return(adapter.dispatch('inlined')()) -}}
{% endmacro %}

{% macro default__inlined() %}not materialized{% endmacro %}

{% macro spark__inlined() %}{% endmacro %}
