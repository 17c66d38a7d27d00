{# The events an incremental user-day model must (re)aggregate: on a partitioned run for
   landing days [start_date, end_date] (run_var), every event of each activity_date those files touched
   (an event can land a day late), from any landing day; on a full build, all events. #}
{% macro events_of_run_days() %}
    select * from {{ ref('stg_events__events') }}
    {%- set start_date = run_var('start_date') %}
    {%- if is_incremental() and start_date %}
    where activity_date in (
        select distinct activity_date
        from {{ ref('stg_events__events') }}
        where landing_date between cast({{ quoted(start_date) }} as date)
            and cast({{ quoted(run_var("end_date") or start_date) }} as date)
    )
    {%- endif %}
{% endmacro %}
