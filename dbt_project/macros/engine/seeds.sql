{# Seeds on Spark: dbt-spark's session method sends an empty CSV cell as the text 'None' (it
   quotes every binding), so a rule with no channel would get channel 'None'. The rows are
   written as literals instead: an empty cell is null, as on DuckDB. #}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_types = model['config'].get('column_types', {}) %}
  {%- set statements = [] %}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) %}
    {%- set sql %}
      insert into {{ this.render() }} values
      {%- for row in chunk %}
        ({%- for value in row -%}
          {%- set name = agate_table.column_names[loop.index0] -%}
          cast({{ 'null' if value is none else quoted(value) }} as {{ column_types.get(name, adapter.convert_type(agate_table, loop.index0)) }})
          {%- if not loop.last %}, {% endif -%}
        {%- endfor -%}){%- if not loop.last %},{% endif %}
      {%- endfor %}
    {%- endset %}
    {%- do adapter.add_query(sql, abridge_sql_log=True) %}
    {%- if loop.first %}{% do statements.append(sql) %}{% endif %}
  {%- endfor %}
  {{- return(statements[0]) -}}
{% endmacro %}
