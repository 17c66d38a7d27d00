{# Wilson score bound of a rate p over n users (sign '-' lower, '+' upper), z = var uplift_confidence_z. #}
{% macro wilson_bound(p, n, sign) %}
    {%- set z = number_var('uplift_confidence_z') -%}
    (({{ p }} + {{ z }} * {{ z }} / (2.0 * {{ n }})
      {{ sign }} {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z }} * {{ z }} / (4.0 * {{ n }} * {{ n }})))
     / (1 + {{ z }} * {{ z }} / {{ n }}))
{%- endmacro %}

{# Columns comparing a rate between treated and control users: the absolute uplift, its
   Newcombe hybrid-score interval (Newcombe 1998, method 10: built from each rate's Wilson
   interval, so it stays sensible for small arms and rates near 0 or 1, unlike Wald) and the
   two-sided p-value of the pooled two-proportion z-test. Arguments are SQL expressions;
   `name` prefixes the columns. #}
{% macro proportion_uplift_columns(name, treated_rate, control_rate, treated_n, control_n) %}
    {%- set diff = '(' ~ treated_rate ~ ' - ' ~ control_rate ~ ')' -%}
    {%- set t_low, t_high = wilson_bound(treated_rate, treated_n, '-'), wilson_bound(treated_rate, treated_n, '+') -%}
    {%- set c_low, c_high = wilson_bound(control_rate, control_n, '-'), wilson_bound(control_rate, control_n, '+') -%}
    {%- set pooled = '((' ~ treated_rate ~ ' * ' ~ treated_n ~ ' + ' ~ control_rate ~ ' * ' ~ control_n
                     ~ ') / (' ~ treated_n ~ ' + ' ~ control_n ~ '))' -%}
    {%- set pooled_se = 'sqrt(' ~ pooled ~ ' * (1 - ' ~ pooled ~ ') * (1.0 / ' ~ treated_n ~ ' + 1.0 / ' ~ control_n ~ '))' -%}
    cast(round({{ diff }}, 4) as double) as {{ name }}_uplift,
    round({{ diff }} - sqrt(pow({{ treated_rate }} - {{ t_low }}, 2) + pow({{ c_high }} - {{ control_rate }}, 2)), 4) as {{ name }}_uplift_ci_low,
    round({{ diff }} + sqrt(pow({{ t_high }} - {{ treated_rate }}, 2) + pow({{ control_rate }} - {{ c_low }}, 2)), 4) as {{ name }}_uplift_ci_high,
    round({{ two_sided_p_value(diff ~ ' / nullif(' ~ pooled_se ~ ', 0)') }}, 4) as {{ name }}_uplift_p_value
{%- endmacro %}
