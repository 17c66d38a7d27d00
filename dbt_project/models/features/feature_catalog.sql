-- One row per model feature: its column in churn_training_set, the plain words a reason
-- shows and the cause family it is routed to. Declared features come from the training
-- set's YAML (meta: feature, words, family); per-type features from the event types that
-- are features (int_event_types_ranked), in words that name the type. The Python model
-- trains on exactly these columns and explains with these words.
-- depends_on: {{ ref('churn_training_set') }}
{%- set declared = [] %}
{%- if execute %}
{%- set node = graph.nodes['model.' ~ project_name ~ '.churn_training_set'] %}
{%- for name, column in node.columns.items() if column.meta.get('feature') %}
{%- do declared.append((name, column.meta['words'], column.meta['family'])) %}
{%- endfor %}
{%- endif %}

with

declared as (
    {%- for name, words, family in declared %}
    select {{ quoted(name) }} as feature, {{ quoted(words) }} as words, {{ quoted(family) }} as family,
        cast(null as {{ dbt.type_string() }}) as event_type, cast(null as {{ dbt.type_string() }}) as metric
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as feature, cast(null as {{ dbt.type_string() }}) as words,
        cast(null as {{ dbt.type_string() }}) as family, cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_string() }}) as metric
    where 1 = 0
    {%- endfor %}
),

metrics as (
    {%- for metric, engagement_words, problem_words in type_feature_metrics() %}
    select {{ quoted(metric) }} as metric, {{ quoted(engagement_words) }} as engagement_words,
        {{ quoted(problem_words) }} as problem_words
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

per_type as (
    select
        types.feature_stem || '__' || metrics.metric as feature,
        replace(
            case when types.family in ('falling_engagement', 'other') then metrics.engagement_words
                else metrics.problem_words end,
            '«t»', '«' || types.event_type || '»') as words,
        types.family,
        types.event_type,
        metrics.metric
    from {{ ref('int_event_types_ranked') }} as types
    cross join metrics
    where types.is_feature
)

select feature, words, family, event_type, metric from declared
union all
select feature, words, family, event_type, metric from per_type
