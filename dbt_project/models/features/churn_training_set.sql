-- Every declared feature beside its label: the frame the Python model reads. The features
-- are the columns listed in feature_catalog (declared in this model's YAML meta, plus the
-- per-type features of the most frequent event types, pivoted here as <type>__<metric>).
-- Only users on the churn spine (user_churn_status) have labels, hence rows.
-- A table on Spark: the Python steps read Spark's models as Parquet files (pipeline/engine/).
{{ config(materialized="table" if target.type == "spark" else "view") }}
-- depends_on: {{ ref("int_event_types_ranked") }}
{%- set types = feature_event_types() %}

with

type_features as (
    select
        user_id,
        as_of_date
        {%- for event_type, stem, family in types %}
        {%- for metric, _, _ in type_feature_metrics() %},
        max(case when event_type = {{ quoted(event_type) }} then {{ metric }} end) as {{ stem }}__{{ metric }}
        {%- endfor %}
        {%- endfor %}
    from {{ ref('user_event_type_features') }}
    {%- if types %}
    where event_type in ({% for event_type, _, _ in types %}{{ quoted(event_type) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else %}
    where 1 = 0
    {%- endif %}
    group by user_id, as_of_date
)

select
    user_features.*,
    user_experience.avg_page_load_ms_30d,
    user_experience.page_load_p90_ms_30d,
    user_experience.page_load_noticeable_share_30d,
    user_experience.page_load_slow_share_30d,
    user_experience.page_load_very_slow_share_30d,
    user_experience.page_loads_30d,
    user_experience.very_slow_page_loads_30d,
    user_experience.cs_contacts_90d,
    user_experience.avg_response_seconds_90d,
    user_experience.slow_responses_90d,
    user_experience.avg_delivery_minutes_90d,
    user_experience.late_deliveries_90d,
    user_experience.complaints_90d,
    user_experience.angry_contacts_90d,
    user_experience.refunds_90d,
    user_experience.avg_rating_90d,
    user_intent.repeat_viewed_items_7d,
    user_intent.abandoned_carts_30d,
    user_intent.coupon_order_share_90d,
    user_early_warnings.session_drop_share,
    user_early_warnings.time_in_app_drop_share,
    user_early_warnings.order_overdue_ratio,
    user_rfm.recency_days as rfm_recency_days,
    user_rfm.frequency as rfm_frequency,
    user_rfm.monetary as rfm_monetary,
    user_rfm.r_score,
    user_rfm.f_score,
    user_rfm.m_score,
    coalesce(user_subscription_features.subscription_price, 0) as subscription_price,
    coalesce(user_subscription_features.subscription_price_change, 0) as subscription_price_change,
    user_subscription_features.days_since_subscription_start,
    {%- for event_type, stem, family in types %}
    {%- for metric, _, _ in type_feature_metrics() %}
    coalesce(type_features.{{ stem }}__{{ metric }}, {{ type_feature_default(metric) }}) as {{ stem }}__{{ metric }},
    {%- endfor %}
    {%- endfor %}
    -- Segments are not features (strings); the evaluation reports metrics per segment.
    user_value_tiers.value_tier,
    user_lifecycle_stages.lifecycle_stage,
    user_churn_status.churn_status,
    churn_labels.churned,
    churn_labels.label_mature
from {{ ref('user_features') }} as user_features
inner join {{ ref('churn_labels') }} as churn_labels
    on churn_labels.user_id = user_features.user_id
    and churn_labels.as_of_date = user_features.as_of_date
left join type_features
    on type_features.user_id = user_features.user_id
    and type_features.as_of_date = user_features.as_of_date
left join {{ ref('user_experience') }} as user_experience
    on user_experience.user_id = user_features.user_id
    and user_experience.as_of_date = user_features.as_of_date
left join {{ ref('user_intent') }} as user_intent
    on user_intent.user_id = user_features.user_id
    and user_intent.as_of_date = user_features.as_of_date
{%- for model in ['user_early_warnings', 'user_rfm', 'user_subscription_features', 'user_value_tiers', 'user_lifecycle_stages', 'user_churn_status'] %}
left join {{ ref(model) }} as {{ model }}
    on {{ model }}.user_id = user_features.user_id
    and {{ model }}.as_of_date = user_features.as_of_date
{%- endfor %}
