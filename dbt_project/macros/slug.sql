{# An event type as part of a column name: lower case, runs of other characters as "_"
   ("Payment Error" -> payment_error). Columns are named after types, so a type's features
   read as what they are in the training set, MLflow and the reasons. #}
{% macro slug(expr) %}
  {{ return(adapter.dispatch('slug')(expr)) }}
{% endmacro %}

{% macro default__slug(expr) %}
  trim(both '_' from regexp_replace(lower({{ expr }}), '[^a-z0-9]+', '_'))
{% endmacro %}

{% macro duckdb__slug(expr) %}
  trim(regexp_replace(lower({{ expr }}), '[^a-z0-9]+', '_', 'g'), '_')
{% endmacro %}

{# The same in Jinja, for column names generated at compile time. #}
{% macro slug_text(text) %}
  {{- return(modules.re.sub('[^a-z0-9]+', '_', text | lower).strip('_')) -}}
{% endmacro %}

{# A value as a SQL string literal, quotes doubled: settings and mapping values are data,
   never SQL. Spark reads 'a''b' as two literals run together ("ab"): there a backslash escapes. #}
{% macro quoted(value) %}
  {{- return(adapter.dispatch('quoted')(value)) -}}
{% endmacro %}

{% macro default__quoted(value) %}
  {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro spark__quoted(value) %}
  {{- return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}
