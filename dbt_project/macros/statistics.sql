{# Standard normal helpers for the uplift reports (the warehouse has no erf).
   erfc(x) for x >= 0 by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). #}
{% macro erfc_nonnegative(x) %}
  (
    (0.254829592 * (1.0 / (1.0 + 0.3275911 * ({{ x }})))
     - 0.284496736 * pow(1.0 / (1.0 + 0.3275911 * ({{ x }})), 2)
     + 1.421413741 * pow(1.0 / (1.0 + 0.3275911 * ({{ x }})), 3)
     - 1.453152027 * pow(1.0 / (1.0 + 0.3275911 * ({{ x }})), 4)
     + 1.061405429 * pow(1.0 / (1.0 + 0.3275911 * ({{ x }})), 5))
    * exp(-(({{ x }}) * ({{ x }})))
  )
{% endmacro %}

{# Two-sided p-value of a z statistic: P(|Z| >= |z|) = erfc(|z| / sqrt 2). #}
{% macro two_sided_p_value(z) %}
  {{ erfc_nonnegative('abs(' ~ z ~ ') / sqrt(2.0)') }}
{% endmacro %}

{# Standard normal CDF, P(Z <= z). #}
{% macro normal_cdf(z) %}
  (case when ({{ z }}) >= 0
        then 1.0 - 0.5 * {{ erfc_nonnegative('(' ~ z ~ ') / sqrt(2.0)') }}
        else 0.5 * {{ erfc_nonnegative('-(' ~ z ~ ') / sqrt(2.0)') }} end)
{% endmacro %}
