-- One row per user, day and product category the user ordered from: the input of
-- category-breadth signals ("buys in one category only" in user_value_tiers). Orders
-- without a category are left out, so a log without categories gives an empty table.
--
-- Incremental by day like int_user_days_aggregated (macro events_of_run_days).
with

events as (
    {{ events_of_run_days() }}
),

category_orders as (
    select user_id, activity_date, category, amount
    from events
    where event_type = 'order'
        and category is not null
)

-- Exact numeric sums, as in the user-day table, so a re-run gives the same table bit for bit.
select
    user_id,
    activity_date,
    category,
    count(*) as orders,
    sum(cast(amount as {{ dbt.type_numeric() }})) as order_value
from category_orders
group by user_id, activity_date, category
