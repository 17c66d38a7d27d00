-- Lifecycle stage per user per observation date, strictly as of that date. Exactly one
-- stage, first rule that holds:
--   churned > silent > returned > exploring > declining > mature > growing > occasional
-- (rules and the reason for the extra 'occasional' stage in _user_lifecycle_stages.yml).
{%- set silent_days = number_var('silent_days') %}

-- depends_on: {{ ref('int_observation_dates') }}
with

spine as (
    select user_id, as_of_date, tenure_days, days_since_last_activity, active_days_7d
    from {{ ref('user_features') }}
    {{ only_dates_to_build() }}
),

warnings as (
    select
        user_id,
        as_of_date,
        coalesce(session_drop_flag or time_in_app_drop_flag or order_overdue_flag, false) as has_early_warning
    from {{ ref('user_early_warnings') }}
),

-- The first active day of the last 7 days and the last active day before them. Looking
-- back 7 + silent_days days is enough: an earlier last day means a silence of more than
-- silent_days anyway.
around_last_week as (
    {{ per_date_aggregates(ref('int_user_days_aggregated'), 'spine', observation_dates_to_build(), [
        ('first_active_date_7d', 'min', 'activity_date', 7, 0),
        ('last_active_date_before_7d', 'max', 'activity_date', silent_days, 7),
    ]) }}
),

-- Returned: active in the last 7 days, active at some time before that (tenure reaches
-- further back than the first day of the return), and silent for at least silent_days in
-- between (the gap is measured like days_since_last_activity on the day of the return).
measured as (
    select
        spine.*,
        coalesce(warnings.has_early_warning, false) as has_early_warning,
        coalesce(
            around_last_week.first_active_date_7d is not null
            and spine.tenure_days > {{ dbt.datediff('around_last_week.first_active_date_7d', 'spine.as_of_date', 'day') }}
            and (
                around_last_week.last_active_date_before_7d is null
                or {{ dbt.datediff('around_last_week.last_active_date_before_7d', 'around_last_week.first_active_date_7d', 'day') }}
                    >= {{ silent_days }}
            ),
            false
        ) as is_returned
    from spine
    left join warnings on warnings.user_id = spine.user_id and warnings.as_of_date = spine.as_of_date
    left join around_last_week
        on around_last_week.user_id = spine.user_id and around_last_week.as_of_date = spine.as_of_date
)

select
    user_id,
    as_of_date,
    case
        when days_since_last_activity >= {{ number_var('churned_days') }} then 'churned'
        when days_since_last_activity >= {{ silent_days }} then 'silent'
        when is_returned then 'returned'
        -- In the first exploring_days days every active day is in the last 7 days.
        when tenure_days < {{ number_var('exploring_days') }}
            and active_days_7d <= {{ number_var('exploring_max_active_days') }} then 'exploring'
        when has_early_warning then 'declining'
        when active_days_7d >= {{ number_var('mature_min_active_days_7d') }} then 'mature'
        when active_days_7d >= {{ number_var('growing_min_active_days_7d') }} then 'growing'
        else 'occasional'
    end as lifecycle_stage,
    tenure_days,
    days_since_last_activity,
    active_days_7d,
    has_early_warning
from measured
