{# The columns of churn_training_set that are evidence of a cause, as (column, family,
   event_type, metric) rows from feature_catalog: declared in YAML meta (event_type and metric
   null), or the per-type counts of a cause family's event types; empty while the catalog does
   not exist yet (parsing, an empty warehouse). #}
{% macro cause_evidence_columns() %}
  {%- if not execute %}{{ return([]) }}{% endif %}
  {%- set relation = load_relation(ref('feature_catalog')) %}
  {%- if relation is none %}{{ return([]) }}{% endif %}
  {%- set result = run_query("select feature, family, event_type, metric from " ~ relation ~ " where evidence is not null"
      ~ " and family not in ('falling_engagement', 'other') order by family, feature") %}
  {{- return(result.rows) -}}
{% endmacro %}

{# Comparable users: the same engagement level as ml/causes.py (active days in the last 30:
   none, 1, 2-3, 4-7, 8-15, 16+). #}
{% macro engagement_level(active_days) %}
    case
        when {{ active_days }} >= 16 then 5
        when {{ active_days }} >= 8 then 4
        when {{ active_days }} >= 4 then 3
        when {{ active_days }} >= 2 then 2
        when {{ active_days }} >= 1 then 1
        else 0
    end
{% endmacro %}

{# The observation dates int_cause_churn_by_date counts in an incremental run, as strings in
   order: the labelled dates with open labels (macro dates_with_open_labels) and those counted
   with other evidence columns than `evidence_definition`. #}
{% macro cause_count_dates(evidence_definition) %}
  {%- if not execute or not is_incremental() %}{{ return([]) }}{% endif %}
  {%- set sql -%}
    select distinct cast(as_of_date as {{ dbt.type_string() }}) as as_of_date
    from {{ ref('int_observation_dates') }}
    where as_of_date in (select as_of_date from {{ ref('churn_labels') }})
        and ({{ dates_with_open_labels('labels_mature') }}
             or as_of_date in (select as_of_date from {{ this }}
                               where evidence_definition <> {{ quoted(evidence_definition) }}))
    order by 1
  {%- endset %}
  {{- return(run_query(sql).columns[0].values() | list) -}}
{% endmacro %}
