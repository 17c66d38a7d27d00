{# Aggregates of each user's days as of each observation date, over trailing windows.

   `aggregates` is a list of (name, function, expression, days, skip): `function` (sum, min,
   max) of `expression` (over the columns of `days`) for the `days` days ending `skip` days
   before the date (skip 0: the date's own day is the last); days none = all history up to
   the date. ('orders_30d', 'sum', 'orders', 30, 0) is the orders of the 30 days up to the
   date; ('baseline', 'sum', 'events', 56, 28) the events of days 28-55 back. An aggregate of
   no day is null, as sum() of nothing.

   One list, two plans, the same rows (dbt unit tests of user_early_warnings and
   user_lifecycle_stages under both; tests/integration/test_action_loop.py rebuilds by
   windows what daily runs joined; tests/spark builds by windows what DuckDB joined):
   - join: each spine row joins its user's days in the window and aggregates them. Each day
     is read once per date whose window holds it (13 weekly dates for 90 days);
   - windows: the spine's rows are laid among the days in one series per user (per key),
     ordered by day, and a range window ending at a spine row covers exactly the days of its
     window. Each day is read once, but DuckDB's window operator costs about 0.1 us per row
     and aggregate. Range frames on an integer day number are standard SQL: DuckDB and Spark
     run the same text.
   The join is faster while its pairs fit in memory; past that, it spills, and windows win.
   Measured on DuckDB (6 GB, 2 threads), user_features: 200 k users x 14 dates, join 8.4 s,
   windows 20 s; 1 M users x 14 dates, join 158 s (5.8 GB), windows 71 s (4.5 GB); 1 M users x
   1 date (a daily run), join 7.7 s, windows 34 s. user_event_type_features, 1.9 M user-types
   x 14 dates: join 53 s (6.2 GB), windows 42 s (4.4 GB). So windows from the dbt var
   per_date_windows_from_rows (10 M) estimated rows on.

   `days`: a relation (not a CTE: the plan is chosen by a query of it) with the `keys`
   (user_id; for per-type features user_id and event_type) and activity_date; `spine`: one
   with the keys and as_of_date, the rows to compute (its dates among `dates`), or none for a
   row per key and date with a day in the longest window (then every window is bounded);
   `dates`: the query of the dates being built; `days_where`: a condition on the days read
   (e.g. 'orders > 0'). Returns the keys, as_of_date and the aggregates' names. #}
{% macro per_date_aggregates(days, spine, dates, aggregates, keys=['user_id'], days_where=none) %}
    {%- if per_date_plan(days, dates, keys, number_var('per_date_windows_from_rows')) == 'windows' %}
        {{- per_date_aggregates_by_windows(days, spine, dates, aggregates, keys, days_where) }}
    {%- else %}
        {{- per_date_aggregates_by_join(days, spine, dates, aggregates, keys, days_where) }}
    {%- endif %}
{% endmacro %}

{# 'windows' when the build has about `windows_from_rows` rows or more (the keys of `days` times
   the dates to build that have days before them), else 'join'. One date is always joined:
   the join then reads each day of the window once, as windows would, without their sort.
   'join' too while the tables do not exist yet (parsing, docs of an empty warehouse). #}
{% macro per_date_plan(days, dates, keys, windows_from_rows) %}
    {%- if not execute or load_relation(days) is none or load_relation(ref('int_observation_dates')) is none %}
        {{- return('join') }}
    {%- endif %}
    {%- set n_dates = run_query('select count(*) from (' ~ dates ~ ') as dates_to_build where as_of_date >= '
        ~ '(select min(activity_date) from ' ~ days ~ ')').columns[0].values()[0] %}
    {%- if n_dates < 2 %}{{ return('join') }}{% endif %}
    {%- set n_keys = run_query('select count(*) from (select distinct ' ~ keys | join(', ') ~ ' from ' ~ days
        ~ ') as keys_of_days').columns[0].values()[0] %}
    {{- return('windows' if n_keys * n_dates >= windows_from_rows else 'join') }}
{% endmacro %}

{% macro per_date_aggregates_by_join(days, spine, dates, aggregates, keys, days_where) %}
    {%- set longest = longest_window(aggregates) %}
    {%- set days_back = dbt.datediff('days_in.activity_date', 'spine_in.as_of_date', 'day') %}
    {%- set keys_from = 'spine_in' if spine is not none else 'days_in' %}
    select
        {%- for key in keys %}
        {{ keys_from }}.{{ key }},
        {%- endfor %}
        spine_in.as_of_date
        {%- for name, function, expression, length, skip in aggregates %},
        {{ function }}(case when days_in.activity_date is not null
            {%- if length is not none %} and {{ days_back }} < {{ length + skip }}{% endif %}
            {%- if skip %} and {{ days_back }} >= {{ skip }}{% endif %}
            then {{ expression }} end) as {{ name }}
        {%- endfor %}
    {%- if spine is not none %}
    from (select {{ keys | join(', ') }}, as_of_date from {{ spine }}) as spine_in
    left join {{ days }} as days_in
        on {% for key in keys %}days_in.{{ key }} = spine_in.{{ key }} and {% endfor -%}
        days_in.activity_date <= spine_in.as_of_date
    {%- else %}
    from ({{ dates }}) as spine_in
    inner join {{ days }} as days_in
        on days_in.activity_date <= spine_in.as_of_date
    {%- endif %}
        {%- if longest is not none %}
        and days_in.activity_date > {{ dbt.dateadd('day', -longest, 'spine_in.as_of_date') }}
        {%- endif %}
        {%- if days_where %}
        and ({{ days_where }})
        {%- endif %}
    group by {% for key in keys %}{{ keys_from }}.{{ key }}, {% endfor %}spine_in.as_of_date
{% endmacro %}

{% macro per_date_aggregates_by_windows(days, spine, dates, aggregates, keys, days_where) %}
    {%- set longest = longest_window(aggregates) %}
    {%- set names = aggregates | map(attribute=0) | list %}
    {%- if spine is none and longest is none %}
        {{- exceptions.raise_compiler_error('per_date_aggregates without a spine needs bounded windows: '
            ~ 'it makes a row per key and date with a day in the longest window') }}
    {%- endif %}
    {%- if spine is none %}{# a row where the key has a day in the longest window #}
        {%- set aggregates = aggregates + [('days_in_window_', 'sum', '1', longest, 0)] %}
    {%- endif %}
    select {{ keys | join(', ') }}, as_of_date
        {%- for name in names %}, {{ name }}{% endfor %}
    from (
        select
            {{ keys | join(', ') }},
            is_spine,
            as_of_date
            {%- for name, function, expression, length, skip in aggregates %},
            {{ function }}(value_{{ loop.index }}) over (partition by {{ keys | join(', ') }} order by day_number range between
                {{ 'unbounded' if length is none else length + skip - 1 }} preceding
                and {{ skip ~ ' preceding' if skip else 'current row' }}) as {{ name }}
            {%- endfor %}
        from (
            select
                {{ keys | join(', ') }},
                {{ dbt.datediff("cast('1970-01-01' as date)", 'activity_date', 'day') }} as day_number,
                false as is_spine,
                cast(null as date) as as_of_date
                {%- for name, function, expression, length, skip in aggregates %},
                {{ expression }} as value_{{ loop.index }}
                {%- endfor %}
            from {{ days }}
            where activity_date <= (select max(as_of_date) from ({{ dates }}) as last_date)
            {%- if days_where %}
                and ({{ days_where }})
            {%- endif %}
            {%- if longest is not none %}
                and activity_date > (select {{ dbt.dateadd('day', -longest, 'min(as_of_date)') }} from ({{ dates }}) as first_date)
            {%- endif %}
            union all
            select
                {{ keys | join(', ') }},
                {{ dbt.datediff("cast('1970-01-01' as date)", 'as_of_date', 'day') }},
                true,
                as_of_date
                {%- for aggregate in aggregates %},
                null
                {%- endfor %}
            {%- if spine is not none %}
            from {{ spine }}
            {%- else %}
            from (
                -- From a key's first day to its last plus the window (days_in_window_ drops
                -- the dates without a day in the window).
                select {% for key in keys %}spans.{{ key }}, {% endfor %}dates_in.as_of_date
                from (
                    select {{ keys | join(', ') }}, min(activity_date) as first_day, max(activity_date) as last_day
                    from {{ days }}
                    where activity_date <= (select max(as_of_date) from ({{ dates }}) as last_date)
                        {%- if days_where %} and ({{ days_where }}){% endif %}
                        and activity_date > (select {{ dbt.dateadd('day', -longest, 'min(as_of_date)') }} from ({{ dates }}) as first_date)
                    group by {{ keys | join(', ') }}
                ) as spans
                inner join ({{ dates }}) as dates_in
                    on spans.first_day <= dates_in.as_of_date
                    and dates_in.as_of_date < {{ dbt.dateadd('day', longest, 'spans.last_day') }}
            ) as spine_of_keys
            {%- endif %}
        ) as series
    ) as windowed
    where is_spine{% if spine is none %} and days_in_window_ is not null{% endif %}
{% endmacro %}

{# How many days back the aggregates reach (none: all history). #}
{% macro longest_window(aggregates) %}
    {%- set reach = [] %}
    {%- for name, function, expression, length, skip in aggregates %}
        {%- do reach.append(none if length is none else length + skip) %}
    {%- endfor %}
    {{- return(none if none in reach else reach | max) }}
{% endmacro %}
