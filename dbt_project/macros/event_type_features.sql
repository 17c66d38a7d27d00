{# The per-type features of churn_training_set, named `<type>__<metric>` (post__events_30d,
   error_page__trend): metric, and its plain words for an engagement type (fewer of it raises
   risk) and for a problem type (more of it raises risk). «t» is the event type. #}
{% macro type_feature_metrics() %}
  {{ return([
    ('events_7d', 'fewer «t» than before', '«t» lately'),
    ('events_30d', 'fewer «t» than before', '«t» lately'),
    ('events_90d', 'fewer «t» than before', '«t» lately'),
    ('active_days_30d', 'fewer «t» than before', '«t» lately'),
    ('days_since_last', 'no «t» for a while', '«t» lately'),
    ('trend', 'fewer «t» than before', '«t» lately'),
    ('share_30d', 'less of their activity is «t»', '«t» lately'),
  ]) }}
{% endmacro %}

{# Counts of a type a user did not do in the window are 0; how long since and the trend stay
   null when there is nothing to measure. #}
{% macro type_feature_default(metric) %}
  {{- return('0' if metric in ['events_7d', 'events_30d', 'events_90d', 'active_days_30d'] else 'null') -}}
{% endmacro %}

{# The event types that are model features, as (event_type, feature_stem, family) rows; empty
   while the table does not exist yet (parsing, docs on an empty warehouse). #}
{% macro feature_event_types() %}
  {%- if not execute %}{{ return([]) }}{% endif %}
  {%- set relation = load_relation(ref('int_event_types_ranked')) %}
  {%- if relation is none %}{{ return([]) }}{% endif %}
  {%- set result = run_query("select event_type, feature_stem, family from " ~ relation ~ " where is_feature order by type_rank") %}
  {{- return(result.rows) -}}
{% endmacro %}
