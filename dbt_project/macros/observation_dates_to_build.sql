{# The observation dates an incremental feature model computes in this run: on a full build
   every date of int_observation_dates; afterwards only dates it has no rows for yet, plus
   the scoring date (recomputed, as the latest day may have grown). A date's rows are never
   recomputed once the date is past: features as of a date do not change. #}
{% macro observation_dates_to_build() %}
    select observation_dates.as_of_date
    from {{ ref('int_observation_dates') }} as observation_dates
    {%- if is_incremental() %}
    left join (select distinct as_of_date from {{ this }}) as built
        on built.as_of_date = observation_dates.as_of_date
    where built.as_of_date is null or observation_dates.dates_back = 0
    {%- endif %}
{% endmacro %}

{# Rows of dates that left the spine (an old scoring date, a date past the history) are
   dropped after each run, so the table holds exactly the spine's dates. #}
{% macro keep_observation_dates_only() %}
    delete from {{ this }}
    where as_of_date not in (select as_of_date from {{ ref('int_observation_dates') }})
{% endmacro %}
