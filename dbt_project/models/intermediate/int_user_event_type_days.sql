-- One row per user, day and event type: the per-type counts every "any log" feature is built
-- from. Every type of the log is kept, known to the contract or not (a clickstream's
-- "error_page", a social app's "post"), so no log's signal is lost before the model.
--
-- Incremental by day, like int_user_days_aggregated (macro events_of_run_days).
with

events as (
    {{ events_of_run_days() }}
)

select
    user_id,
    activity_date,
    event_type,
    count(*) as events
from events
group by user_id, activity_date, event_type
