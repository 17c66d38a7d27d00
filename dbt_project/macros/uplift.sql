{# Columns comparing a rate between treated and control users: the absolute uplift, its
   Wald confidence interval (z = var uplift_confidence_z) and the two-sided p-value of the
   pooled two-proportion z-test. Arguments are SQL expressions; `name` prefixes the columns. #}
{% macro proportion_uplift_columns(name, treated_rate, control_rate, treated_n, control_n) %}
    {%- set diff = '(' ~ treated_rate ~ ' - ' ~ control_rate ~ ')' -%}
    {%- set se = 'sqrt(' ~ treated_rate ~ ' * (1 - ' ~ treated_rate ~ ') / ' ~ treated_n
                 ~ ' + ' ~ control_rate ~ ' * (1 - ' ~ control_rate ~ ') / ' ~ control_n ~ ')' -%}
    {%- set pooled = '((' ~ treated_rate ~ ' * ' ~ treated_n ~ ' + ' ~ control_rate ~ ' * ' ~ control_n
                     ~ ') / (' ~ treated_n ~ ' + ' ~ control_n ~ '))' -%}
    {%- set pooled_se = 'sqrt(' ~ pooled ~ ' * (1 - ' ~ pooled ~ ') * (1.0 / ' ~ treated_n ~ ' + 1.0 / ' ~ control_n ~ '))' -%}
    round({{ diff }}, 4) as {{ name }}_uplift,
    round({{ diff }} - {{ var('uplift_confidence_z') }} * {{ se }}, 4) as {{ name }}_uplift_ci_low,
    round({{ diff }} + {{ var('uplift_confidence_z') }} * {{ se }}, 4) as {{ name }}_uplift_ci_high,
    round({{ two_sided_p_value(diff ~ ' / nullif(' ~ pooled_se ~ ', 0)') }}, 4) as {{ name }}_uplift_p_value
{%- endmacro %}
