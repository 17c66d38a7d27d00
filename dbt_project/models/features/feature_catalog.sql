-- One row per model feature or piece of cause evidence: its column in churn_training_set,
-- the plain words a reason shows and the cause family it is routed to. Declared columns come
-- from the training set's YAML (meta: feature, words, family, evidence); per-type features
-- from the event types that are features (int_event_types_ranked), in words that name the
-- type. The Python model trains on exactly the is_feature columns and explains with these
-- words; `evidence` is the sentence that shows a user's own count of a cause ("{late_deliveries_90d}
-- late deliveries ..."), shown only when that column is above 0 for the user.
-- depends_on: {{ ref('churn_training_set') }}
-- depends_on: {{ ref('user_features') }}
-- depends_on: {{ ref('churn_labels') }}
{%- for model, _ in training_set_joins() %}
-- depends_on: {{ ref(model) }}
{%- endfor %}
{%- set declared = [] %}
{%- if execute %}
{%- set node = graph.nodes['model.' ~ project_name ~ '.churn_training_set'] %}
{%- for name, column in node.columns.items() if column.meta.get('feature') or column.meta.get('evidence') %}
{%- do declared.append((name, column.meta['words'], column.meta['family'], column.meta.get('feature', false), column.meta.get('evidence'))) %}
{%- endfor %}
{%- endif %}

with

declared as (
    {%- for name, words, family, is_feature, evidence in declared %}
    select {{ quoted(name) }} as feature, {{ quoted(words) }} as words, {{ quoted(family) }} as family,
        cast(null as {{ dbt.type_string() }}) as event_type, cast(null as {{ dbt.type_string() }}) as metric,
        {{ 'true' if is_feature else 'false' }} as is_feature,
        {{ quoted(evidence) if evidence else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as evidence
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as feature, cast(null as {{ dbt.type_string() }}) as words,
        cast(null as {{ dbt.type_string() }}) as family, cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_string() }}) as metric, true as is_feature,
        cast(null as {{ dbt.type_string() }}) as evidence
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
        metrics.metric,
        true as is_feature,
        -- A type of a cause family (the mapping's reason_families: "error" -> experience) is
        -- evidence of that cause for a user who had it lately.
        -- 90 days, not 30: a grievance (muted groups, say) can still drive a user out weeks later.
        case when metrics.metric = 'events_90d' and types.family not in ('falling_engagement', 'other')
            then '{' || types.feature_stem || '__events_90d} «' || types.event_type || '» in the last 90 days'
        end as evidence
    from {{ ref('int_event_types_ranked') }} as types
    cross join metrics
    where types.is_feature
),

-- Families whose declared evidence this log fills (slow replies, from reply times). A type's
-- count is then no evidence of the family: the declared column says which of the user's
-- contacts went wrong, where any «cs_contact» would name service for every user who asked.
-- Read from the models that hold the columns (macro training_set_joins), on the training
-- set's rows (those with labels): one pass per model. An `exists` per column read the whole
-- training set (a view of every feature model) once each, and one pass over the view still
-- joined every model: 31 s of each run at a million users.
{%- set by_model = {} %}
{%- for name, words, family, is_feature, evidence in declared if evidence %}
{%- set model, expression = training_set_column(name) %}
{%- do by_model.setdefault(model, []).append((expression, family)) %}
{%- endfor %}
{%- for model, columns in by_model.items() %}

present_in_{{ model }} as (
    select
        {%- for expression, family in columns %}
        max(case when {{ expression }} > 0 then 1 else 0 end) as present_{{ loop.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }} as {{ model }}
    inner join {{ ref('churn_labels') }} as churn_labels
        on churn_labels.user_id = {{ model }}.user_id
        and churn_labels.as_of_date = {{ model }}.as_of_date
),
{%- endfor %}

filled as (
    {%- for model, columns in by_model.items() %}
    {%- for expression, family in columns %}
    select {{ quoted(family) }} as family from present_in_{{ model }} where present_{{ loop.index }} = 1
    union all
    {%- endfor %}
    {%- endfor %}
    select cast(null as {{ dbt.type_string() }}) as family where 1 = 0
)

select feature, words, family, event_type, metric, is_feature, evidence from declared
union all
select
    feature, words, family, event_type, metric, is_feature,
    case when family in (select family from filled where family is not null) then null else evidence end as evidence
from per_type
