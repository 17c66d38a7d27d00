{# Vars reach SQL only through these macros: settings are values, never SQL. A number must
   be one (and is written as one), a text becomes a quoted literal, a date a cast of a checked
   literal; identifiers never come from vars. pipeline/dbt/vars.py validates every var before a
   run starts; these are the second line of defence, for `dbt build --vars` typed by hand. #}

{% macro number_var(name) %}
  {%- set value = var(name) %}
  {%- if value is not number or value is sameas true or value is sameas false %}
    {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a number, got " ~ (value | string)[:80] ~ " (see pipeline/dbt/vars.py)") }}
  {%- endif %}
  {{- return(value) -}}
{% endmacro %}

{# A label (an experiment name, "Spring '26 test") as a SQL string literal, quotes doubled. #}
{% macro text_var(name) %}
  {{- return(quoted(var(name))) -}}
{% endmacro %}

{# cast('YYYY-MM-DD' as date) of a date var. #}
{% macro date_var(name) %}
  {%- set value = var(name) | string %}
  {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) %}
    {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date YYYY-MM-DD, got " ~ value[:80]) }}
  {%- endif %}
  {{- return("cast(" ~ quoted(value) ~ " as date)") -}}
{% endmacro %}
