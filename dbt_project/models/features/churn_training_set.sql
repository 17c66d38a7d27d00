-- Features beside their labels, the frame the Python model reads.
{{ config(materialized='view') }}

select
    user_features.*,
    churn_labels.churned,
    churn_labels.label_mature
from {{ ref('user_features') }} as user_features
inner join {{ ref('churn_labels') }} as churn_labels
    on churn_labels.user_id = user_features.user_id
    and churn_labels.as_of_date = user_features.as_of_date
