{# A number in [0, 1) that depends only on the text of `expr`: the first 8 hex digits of its
   MD5 / 16^8. The same in any engine version and reproducible outside the warehouse
   (Python: int(hashlib.md5(s.encode()).hexdigest()[:8], 16) / 2**32), so a holdout or an
   A/B arm can be re-derived by anyone who has the user id and the period. #}
{% macro stable_bucket(expr) %}
  (cast(('0x' || substr(md5({{ expr }}), 1, 8)) as ubigint) / 4294967296.0)
{% endmacro %}
