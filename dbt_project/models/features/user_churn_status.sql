-- Where each known user stands on each observation date under the churn definition, and
-- whether they belong on the churn spine (are scored for churn):
-- - non-contractual definitions: every known user is on the spine (churn is never observed,
--   only inferred); 'active' with qualifying activity in the last churn_horizon_days,
--   'lapsed' without (their churn probability's complement is the win-back chance);
-- - subscription: 'active' with a live subscription (on the spine), 'ended' after their last
--   subscription ended, 'never_subscribed' otherwise (both off the spine: there is nothing
--   left to cancel).
-- The subscriptions file is read under the subscription definition only, but dagster-dbt's
-- manifest is parsed with the default vars: declare the dependency whatever the definition,
-- so that Dagster loads raw_subscriptions before the churn spine.
-- depends_on: {{ source('raw', 'subscriptions') }}
{%- set horizon = number_var('churn_horizon_days') %}

with

spine as (
    select user_id, as_of_date from {{ ref('user_features') }}
),

{% if churn_definition() == 'subscription' %}
last_events as (
    select
        spine.user_id,
        spine.as_of_date,
        max(case when subs.event_type = 'subscription_start' then subs.event_time end) as last_start,
        max(case when subs.event_type = 'subscription_end' then subs.event_time end) as last_end
    from spine
    inner join ({{ subscription_events() }}) as subs
        on subs.user_id = spine.user_id
        and subs.activity_date <= spine.as_of_date
    group by spine.user_id, spine.as_of_date
),

status as (
    select
        spine.user_id,
        spine.as_of_date,
        case
            when last_events.last_start is not null
                and (last_events.last_end is null or last_events.last_end < last_events.last_start) then 'active'
            when last_events.last_end is not null then 'ended'
            else 'never_subscribed'
        end as churn_status
    from spine
    left join last_events
        on last_events.user_id = spine.user_id and last_events.as_of_date = spine.as_of_date
)
{% else %}
last_kept as (
    select spine.user_id, spine.as_of_date, max(kept.activity_date) as last_kept_date
    from spine
    inner join ({{ retention_days() }}) as kept
        on kept.user_id = spine.user_id
        and kept.activity_date <= spine.as_of_date
        and kept.activity_date > {{ dbt.dateadd('day', -horizon, 'spine.as_of_date') }}
    group by spine.user_id, spine.as_of_date
),

status as (
    select
        spine.user_id,
        spine.as_of_date,
        case when last_kept.last_kept_date is null then 'lapsed' else 'active' end as churn_status
    from spine
    left join last_kept
        on last_kept.user_id = spine.user_id and last_kept.as_of_date = spine.as_of_date
)
{% endif %}

select
    user_id,
    as_of_date,
    churn_status,
    {{ "churn_status = 'active'" if churn_definition() == 'subscription' else 'true' }} as on_churn_spine
from status
