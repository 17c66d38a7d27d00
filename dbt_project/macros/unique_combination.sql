{# A composite-key uniqueness test, so grains like (user_id, as_of_date) are tested without
   pulling dbt_utils from the hub (installs must reach only package registries). #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
