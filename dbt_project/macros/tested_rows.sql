{# The rows a data test reads (dbt's hook for the `where` config, docs "where: Custom logic").
   The incremental models' tests check what a run wrote, not every date again: dbt_project.yml
   gives their tests a placeholder `where`, turned here into a filter on the run's first
   landing day (run_var start_date). A run that writes every row tests every row: a full
   refresh (a changed feature definition, a first build), a run without landing days (the
   leakage check, a `dbt build` by hand), and any model that is not incremental. #}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') %}
    {%- set start = run_var('start_date') %}
    {%- if where in ('__days_of_this_run__', '__dates_of_this_run__', '__open_label_dates__') %}
        {%- if flags.FULL_REFRESH or not start or not _is_incremental_model(relation) %}
            {{- return(relation) }}
        {%- endif %}
        {%- set first = 'cast(' ~ quoted(start) ~ ' as date)' %}
        {%- set where = {
            '__days_of_this_run__': 'activity_date >= ' ~ first,
            '__dates_of_this_run__': 'as_of_date >= ' ~ first,
            '__open_label_dates__': 'as_of_date >= ' ~ dbt.dateadd('day', -number_var('churn_horizon_days'), first),
        }[where] %}
    {%- endif %}
    {%- if where %}
        {{- return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- endif %}
    {{- return(relation) }}
{%- endmacro %}

{% macro _is_incremental_model(relation) %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.alias == relation.identifier %}
        {{- return(node.config.materialized == 'incremental') }}
    {%- endfor %}
    {{- return(false) }}
{% endmacro %}
