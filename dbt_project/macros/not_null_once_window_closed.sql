{# A value that needs `days` days of data after its date (a churn label window): null is
   allowed on the last `days` dates of the model only. #}
{% test not_null_once_window_closed(model, column_name, date_column, days) %}
select {{ date_column }}
from {{ model }}
where {{ column_name }} is null
    and {{ dbt.dateadd('day', days, date_column) }} <= (select max({{ date_column }}) from {{ model }})
{% endtest %}
