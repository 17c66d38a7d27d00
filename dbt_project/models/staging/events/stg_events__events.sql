-- Rename and cast only: one row per raw event, with the day it happened on.
{{ config(tags=['daily']) }}

select
    event_id,
    user_id,
    event_time,
    cast(event_time as date) as activity_date,
    lower(trim(event_type)) as event_type,
    channel,
    session_id,
    order_id,
    item_id,
    category,
    amount,
    page_load_ms,
    response_seconds,
    delivery_minutes,
    rating,
    text,
    landing_date
from {{ source('raw', 'events') }}
