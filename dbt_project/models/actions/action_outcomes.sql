-- One row per assignment whose outcome window has closed: what the user did in the
-- outcome_window_days after the decision (days decision_date + 1 .. + window, the window
-- stored with the assignment), whatever their arm. Treated users carry the action's cost; control users cost nothing.
with

data_through as (
    select max(activity_date) as last_day from {{ ref('int_user_days_aggregated') }}
),

closed as (
    select assignments.*
    from {{ ref('action_assignments') }} as assignments
    inner join data_through
        on {{ dbt.dateadd('day', 'assignments.outcome_window_days', 'assignments.decision_date') }} <= data_through.last_day
),

window_activity as (
    select
        closed.user_id,
        closed.decision_date,
        max(case when user_days.sessions > 0 or user_days.orders > 0 then 1 else 0 end) as active,
        max(case when user_days.orders > 0 then 1 else 0 end) as ordered,
        sum(user_days.order_value) as revenue,
        -- Did the log show a coupon or message around the send date? (Compliance: treated
        -- users should, control users only through unrelated marketing.)
        max(case when user_days.activity_date <= closed.send_date
                  and (user_days.coupons_issued > 0 or user_days.messages_sent > 0) then 1 else 0 end) as contacted
    from closed
    inner join {{ ref('int_user_days_aggregated') }} as user_days
        on user_days.user_id = closed.user_id
        and user_days.activity_date > closed.decision_date
        and user_days.activity_date <= {{ dbt.dateadd('day', 'closed.outcome_window_days', 'closed.decision_date') }}
    group by closed.user_id, closed.decision_date
)

select
    closed.decision_date,
    closed.campaign_week,
    closed.user_id,
    closed.arm,
    closed.experiment,
    closed.variant,
    closed.action_level,
    closed.action,
    closed.incentive_type,
    closed.label_en,
    closed.segment,
    case when closed.arm = 'treatment' then closed.cost else 0 end as cost,
    coalesce(window_activity.active, 0) = 1 as active_again,
    coalesce(window_activity.ordered, 0) = 1 as ordered,
    cast(coalesce(window_activity.revenue, 0) as double) as revenue,
    -- Churned: by the churn label's rule (no order, or no activity) but within the outcome window,
    -- not the label's horizon; under no_order it is simply "did not order".
    {%- if var('churn_definition') == 'no_order' %}
    coalesce(window_activity.ordered, 0) = 0 as churned,
    {%- else %}
    coalesce(window_activity.active, 0) = 0 as churned,
    {%- endif %}
    coalesce(window_activity.contacted, 0) = 1 as contacted_on_send_date
from closed
left join window_activity
    on window_activity.user_id = closed.user_id and window_activity.decision_date = closed.decision_date
