-- Every declared feature beside its label: the frame the Python model reads. The features
-- are the columns listed in feature_catalog (declared in this model's YAML meta, plus the
-- per-type features of the most frequent event types, pivoted here as <type>__<metric>).
-- Only users on the churn spine (user_churn_status) have labels, hence rows. The models joined
-- to user_features and their columns are listed in macro training_set_joins: a column added
-- there is found by int_cause_churn_by_date and feature_catalog, which read it from its model.
-- Every table is read through training_sample(): a read past the training row budget sets
-- a DuckDB variable that keeps a fixed sample of users in each of them.
-- A table on Spark: the Python steps read Spark's models as Parquet files (pipeline/engine/).
{{ config(materialized="table" if target.type == "spark" else "view") }}
-- depends_on: {{ ref("int_event_types_ranked") }}
{%- set types = feature_event_types() %}

{%- set type_columns = [] %}
{%- for event_type, stem, family in types %}
{%- for metric, _, _ in type_feature_metrics() %}{% do type_columns.append((event_type, stem ~ '__' ~ metric, metric)) %}{% endfor %}
{%- endfor %}

with

type_features as (
{{- type_features_pivot(type_columns, sampled=true) }}
)

select
    user_features.*,
    {#- The segments among them (value_tier, lifecycle_stage, churn_status) are strings, not
        features: the evaluation reports metrics per segment. #}
    {%- for model, name, expression in training_set_joined_columns() %}
    {{ expression }}{% if expression != model ~ '.' ~ name %} as {{ name }}{% endif %},
    {%- endfor %}
    {%- for event_type, name, metric in type_columns %}
    coalesce(type_features.{{ name }}, {{ type_feature_default(metric) }}) as {{ name }},
    {%- endfor %}
    churn_labels.churned,
    churn_labels.label_mature
from {{ training_sample(ref('user_features')) }} as user_features
inner join {{ training_sample(ref('churn_labels')) }} as churn_labels
    on churn_labels.user_id = user_features.user_id
    and churn_labels.as_of_date = user_features.as_of_date
left join type_features
    on type_features.user_id = user_features.user_id
    and type_features.as_of_date = user_features.as_of_date
{{- training_set_join(training_set_joins() | map(attribute=0), sampled=true) }}
