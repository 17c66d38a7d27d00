-- One row per user, day and product category the user ordered from: the input of
-- category-breadth signals ("buys in one category only" in user_value_tiers). Orders
-- without a category are left out, so a log without categories gives an empty table.
--
-- Incremental by day like int_user_days_aggregated: a run for landing days
-- [start_date, end_date] recomputes every activity_date those files touched, from all of
-- that date's events, and replaces those dates.
-- A changed column list fails loudly instead of being ignored: run `--full-refresh` (README).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    on_schema_change='fail',
    tags=['daily'],
) }}

with

{% if is_incremental() and var('start_date') %}
touched_dates as (
    select distinct activity_date
    from {{ ref('stg_events__events') }}
    where landing_date between cast('{{ var("start_date") }}' as date)
        and cast('{{ var("end_date", var("start_date")) }}' as date)
),

events as (
    select * from {{ ref('stg_events__events') }}
    where activity_date in (select activity_date from touched_dates)
),
{% else %}
events as (
    select * from {{ ref('stg_events__events') }}
),
{% endif %}

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
