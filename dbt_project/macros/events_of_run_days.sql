{# The events an incremental user-day model must (re)aggregate: on a partitioned run for
   landing days [start_date, end_date], every event of each activity_date those files touched
   (an event can land a day late), from any landing day; on a full build, all events. #}
{% macro events_of_run_days() %}
    select * from {{ ref('stg_events__events') }}
    {%- if is_incremental() and var('start_date') %}
    where activity_date in (
        select distinct activity_date
        from {{ ref('stg_events__events') }}
        where landing_date between cast('{{ var("start_date") }}' as date)
            and cast('{{ var("end_date", var("start_date")) }}' as date)
    )
    {%- endif %}
{% endmacro %}
