{# The observation dates an incremental feature model computes in this run: on a full build
   every date of int_observation_dates; afterwards only dates it has no rows for yet, plus
   the scoring date (recomputed, as the latest day may have grown), plus every date from
   the run's first landing day on (run_var start_date: a past landing day reloaded with late
   files changes the features of the dates after it). Otherwise a date's rows are never
   recomputed: features as of a past date do not change. #}
{% macro observation_dates_to_build() %}
    select observation_dates.as_of_date
    from {{ ref('int_observation_dates') }} as observation_dates
    {%- if is_incremental() %}
    left join (select distinct as_of_date from {{ this }}) as built
        on built.as_of_date = observation_dates.as_of_date
    where built.as_of_date is null or observation_dates.dates_back = 0
    {%- if run_var('start_date') %}
        or observation_dates.as_of_date >= cast({{ quoted(run_var('start_date')) }} as date)
    {%- endif %}
    {%- endif %}
{% endmacro %}

{# Rows of dates that left the spine (an old scoring date, a date past the history) are
   dropped after each run, so the table holds exactly the spine's dates. #}
{% macro keep_observation_dates_only() %}
  {{- return(adapter.dispatch('keep_observation_dates_only')()) -}}
{% endmacro %}

{% macro default__keep_observation_dates_only() %}
    delete from {{ this }}
    where as_of_date not in (select as_of_date from {{ ref('int_observation_dates') }})
{% endmacro %}

{# Spark's Parquet tables have no delete: each date is a partition (dbt_project.yml), and the
   partitions of dates that left the spine are dropped one by one. #}
{% macro spark__keep_observation_dates_only() %}
  {%- if execute and is_incremental() %}
    {%- set gone = run_query("select distinct cast(as_of_date as string) from " ~ this
        ~ " where as_of_date not in (select as_of_date from " ~ ref('int_observation_dates') ~ ")") %}
    {%- for row in gone.rows %}
      {%- do run_query("alter table " ~ this ~ " drop if exists partition (as_of_date = " ~ quoted(row[0]) ~ ")") %}
    {%- endfor %}
  {%- endif %}
{% endmacro %}

{# For a model whose spine is user_features' rows: in an incremental run only the dates this
   model builds (as observation_dates_to_build); a full build takes every date. The model
   declares `-- depends_on: {{ ref('int_observation_dates') }}`, read only when incremental. #}
{% macro only_dates_to_build() %}
    {%- if is_incremental() %}
    where as_of_date in ({{ observation_dates_to_build() }})
    {%- endif %}
{% endmacro %}

{# For a model whose rows hold labels (churn_labels, and what is counted from them): in an
   incremental run the dates the features build, the dates whose labels were immature in
   this model's rows (`mature_column`: a boolean column of {{ this }}), and the dates whose label
   window takes in a reloaded landing day (run_var start_date). A label changes only while
   its window is open, so a closed date is never recomputed. A full build takes every date. #}
{% macro dates_with_open_labels(mature_column) %}
    {%- if is_incremental() %}
    as_of_date in ({{ observation_dates_to_build() }})
    or as_of_date in (select distinct as_of_date from {{ this }} where not {{ mature_column }})
    {%- if run_var('start_date') %}
    or as_of_date >= {{ dbt.dateadd('day', -number_var('churn_horizon_days'),
                                   'cast(' ~ quoted(run_var('start_date')) ~ ' as date)') }}
    {%- endif %}
    {%- else %}
    1 = 1
    {%- endif %}
{% endmacro %}
