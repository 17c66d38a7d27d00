{# The user-day column that counts as "still here" for labels and the backtest alike:
   orders (churn_definition no_order) or any event (no_activity). #}
{% macro churn_activity_column() %}
  {{- 'orders' if var('churn_definition') == 'no_order' else 'events' -}}
{% endmacro %}
