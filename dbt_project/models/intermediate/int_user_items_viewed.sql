-- One row per user, day and item the user looked at, carted or ordered: the input of
-- "viewed again and again but not bought" intent signals. Incremental like the user-day table.
with

events as (
    select * from ({{ events_of_run_days() }}) as run_events
    where item_id is not null
)

select
    user_id,
    activity_date,
    item_id,
    sum(case when event_type = 'product_view' then 1 else 0 end) as views,
    sum(case when event_type = 'add_to_cart' then 1 else 0 end) as carts,
    sum(case when event_type = 'order' then 1 else 0 end) as orders
from events
group by user_id, activity_date, item_id
