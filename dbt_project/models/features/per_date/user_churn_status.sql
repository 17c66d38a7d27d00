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
-- Incremental like the features: a date's status looks back only, so it is computed once.
-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

status as (
    {{ churn_status('spine') }}
)

select
    user_id,
    as_of_date,
    churn_status,
    {{ "churn_status = 'active'" if churn_definition() == 'subscription' else 'true' }} as on_churn_spine
from status
