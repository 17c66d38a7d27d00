{# The per-date models churn_training_set joins to user_features by user and date, each with the
   columns it adds: a name, read as `<model>.<name>`, or (name, SQL expression). One list for
   the view and for int_cause_churn_by_date, which joins only the models holding the evidence
   it counts (reading the whole view went out of memory at a million users: DuckDB holds every
   join's hash table at once, used or not). #}
{% macro training_set_joins() %}
  {{ return([
    ('user_experience', [
        'avg_page_load_ms_30d', 'page_load_p90_ms_30d', 'page_load_noticeable_share_30d',
        'page_load_slow_share_30d', 'page_load_very_slow_share_30d', 'page_loads_30d',
        'very_slow_page_loads_30d', 'cs_contacts_90d', 'avg_response_seconds_90d',
        'slow_responses_90d', 'avg_delivery_minutes_90d', 'late_deliveries_90d', 'complaints_90d',
        'angry_contacts_90d', 'refunds_90d', 'avg_rating_90d']),
    ('user_intent', ['repeat_viewed_items_7d', 'abandoned_carts_30d', 'coupon_order_share_90d']),
    ('user_early_warnings', ['session_drop_share', 'time_in_app_drop_share', 'order_overdue_ratio']),
    ('user_rfm', [
        ('rfm_recency_days', 'user_rfm.recency_days'), ('rfm_frequency', 'user_rfm.frequency'),
        ('rfm_monetary', 'user_rfm.monetary'), 'r_score', 'f_score', 'm_score']),
    ('user_subscription_features', [
        ('subscription_price', 'coalesce(user_subscription_features.subscription_price, 0)'),
        ('subscription_price_change', 'coalesce(user_subscription_features.subscription_price_change, 0)'),
        'days_since_subscription_start']),
    ('user_value_tiers', ['value_tier']),
    ('user_lifecycle_stages', ['lifecycle_stage']),
    ('user_churn_status', ['churn_status']),
  ]) }}
{% endmacro %}

{# The columns of training_set_joins() as (model, name, expression) rows. #}
{% macro training_set_joined_columns() %}
  {%- set rows = [] %}
  {%- for model, columns in training_set_joins() %}
  {%- for column in columns %}
  {%- if column is string %}{% do rows.append((model, column, model ~ '.' ~ column)) %}
  {%- else %}{% do rows.append((model, column[0], column[1])) %}{% endif %}
  {%- endfor %}
  {%- endfor %}
  {{- return(rows) -}}
{% endmacro %}

{# Where churn_training_set's column `name` is read: (model, SQL expression); a column of no
   model of training_set_joins is user_features' own. #}
{% macro training_set_column(name) %}
  {%- for model, column, expression in training_set_joined_columns() if column == name %}
  {{- return((model, expression)) -}}
  {%- endfor %}
  {{- return(('user_features', 'user_features.' ~ adapter.quote(name))) -}}
{% endmacro %}

{# The `left join` of each of `models` (of training_set_joins) to user_features by user and
   date; `sampled`: each model read through training_sample(). #}
{% macro training_set_join(models, sampled=false) %}
  {%- for model in models %}
left join {{ training_sample(ref(model)) if sampled else ref(model) }} as {{ model }}
    on {{ model }}.user_id = user_features.user_id
    and {{ model }}.as_of_date = user_features.as_of_date
  {%- endfor %}
{% endmacro %}

{# Per-type features side by side, one row per user and date: `columns` are (event_type,
   column name, metric of user_event_type_features) rows; `sampled`: read through
   training_sample(). #}
{% macro type_features_pivot(columns, sampled=false) %}
    select
        user_id,
        as_of_date
        {%- for event_type, name, metric in columns %},
        max(case when event_type = {{ quoted(event_type) }} then {{ metric }} end) as {{ name }}
        {%- endfor %}
    from {{ training_sample(ref('user_event_type_features')) if sampled else ref('user_event_type_features') }}
    {%- set types = columns | map(attribute=0) | unique | list %}
    {%- if types %}
    where event_type in ({% for event_type in types %}{{ quoted(event_type) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else %}
    where 1 = 0
    {%- endif %}
    group by user_id, as_of_date
{% endmacro %}

{# `relation`, or on DuckDB only the rows of a fixed sample of its users while the session sets
   the variable churn_training_sample (users kept per million, by a hash of user_id; unset: every
   row). A training read past its row budget sets it (pipeline/model/training_set.py): DuckDB
   does not carry a filter on the view's user_id into the tables it left-joins, so a sampled
   read of a million users otherwise built a hash table of every row of every joined table. #}
{% macro training_sample(relation) %}
  {%- if target.type == 'duckdb' -%}
(select * from {{ relation }}
    where getvariable('churn_training_sample') is null
       or hash(user_id) % 1000000 < getvariable('churn_training_sample'))
  {%- else -%}
{{ relation }}
  {%- endif %}
{% endmacro %}
