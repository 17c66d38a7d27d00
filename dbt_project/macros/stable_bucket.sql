{# A number in [0, 1) that depends only on the text of `expr`: the first 8 hex digits of its
   MD5 / 16^8. The same in any engine version and reproducible outside the warehouse
   (Python: int(hashlib.md5(s.encode()).hexdigest()[:8], 16) / 2**32), so a holdout or an
   A/B arm can be re-derived by anyone who has the user id and the period; DuckDB and Spark
   give the same bucket (each reads the hex digits its own way). #}
{% macro stable_bucket(expr) %}
  {{- return(adapter.dispatch('stable_bucket')(expr)) -}}
{% endmacro %}

{% macro default__stable_bucket(expr) %}
  (cast(('0x' || substr(md5({{ expr }}), 1, 8)) as ubigint) / 4294967296.0)
{% endmacro %}

{# conv() gives the digits as a decimal string; a double keeps the division out of Spark's
   decimal arithmetic. #}
{% macro spark__stable_bucket(expr) %}
  (cast(conv(substr(md5({{ expr }}), 1, 8), 16, 10) as double) / 4294967296.0)
{% endmacro %}
