{# On Spark the raw and ml sources are not written by dbt but by the pipeline's Python steps,
   which hand them over as Parquet (pipeline/engine/sources.py: one folder per table under
   $CHURN_DATA_DIR/spark/sources/<schema>/<table>). Before every run each source is
   (re)registered as an external table over its folder, so source('raw', 'events') reads
   the same on both engines and a re-exported folder is read afresh. Only the tables listed in
   CHURN_SPARK_SOURCES (the ones exported; unset: all) are registered: there are no scores
   before the first training, as on DuckDB. Nothing to do on DuckDB,
   where the Python steps write the tables themselves. #}
{% macro register_parquet_sources() %}
  {{ return(adapter.dispatch('register_parquet_sources')()) }}
{% endmacro %}

{% macro default__register_parquet_sources() %}{% endmacro %}

{% macro spark__register_parquet_sources() %}
  {%- if execute %}
    {%- set root = env_var('CHURN_SPARK_SOURCES_DIR', env_var('CHURN_DATA_DIR', '../data') ~ '/spark/sources') %}
    {%- set exported = env_var('CHURN_SPARK_SOURCES', '') %}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') %}
      {%- set table = source.schema ~ '.' ~ source.identifier %}
      {%- if not exported or table in exported.split(',') %}
        {%- do run_query('create database if not exists ' ~ source.schema) %}
        {%- do run_query('drop table if exists ' ~ table) %}
        {%- do run_query('create table ' ~ table ~ ' using parquet location ' ~ quoted(root ~ '/' ~ source.schema ~ '/' ~ source.identifier)) %}
      {%- endif %}
    {%- endfor %}
  {%- endif %}
{% endmacro %}
