{# A value that changes from run to run (the landing days a run loads, the first day it
   reloaded): the dbt var when given on the command line (`dbt build --vars '{start_date: ...}'`),
   else the CHURN_RUN_<NAME> environment variable that the Dagster assets set. Dagster passes
   them through the environment so that every dbt invocation of a run has the same --vars,
   and dbt's partial parsing (which starts over whenever --vars change) can reuse the last
   parse instead of parsing the whole project again. #}
{% macro run_var(name) %}
  {%- set value = var(name) or env_var('CHURN_RUN_' ~ name | upper, '') %}
  {%- if value and not modules.re.match('^\d{4}-\d{2}-\d{2}$', value | string) %}
    {{ exceptions.raise_compiler_error(name ~ " must be a date YYYY-MM-DD, got " ~ value) }}
  {%- endif %}
  {{- return(value or none) -}}
{% endmacro %}
