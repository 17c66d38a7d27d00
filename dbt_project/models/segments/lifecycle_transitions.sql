-- Flow between lifecycle stages from one observation date to the next, for the
-- lifecycle-flow (Sankey) dashboard. Users who leave the spine (no event in
-- spine_max_inactive_days, when set) flow to 'churned'; users who join it flow from 'new'.
{{ config(contract={'enforced': true}) }}

with

-- Consecutive observation dates: dates_back k + 1 is the date before dates_back k.
date_pairs as (
    select
        earlier.as_of_date as from_date,
        later.as_of_date as to_date
    from {{ ref('int_observation_dates') }} as earlier
    inner join {{ ref('int_observation_dates') }} as later
        on later.dates_back = earlier.dates_back - 1
),

stages as (
    select user_id, as_of_date, lifecycle_stage from {{ ref('user_lifecycle_stages') }}
),

-- Each user's stage on either side of a pair, side by side. A union then a group by, rather
-- than a full outer join, so that a user present on one side only keeps a null on the other.
sides as (
    select date_pairs.from_date, date_pairs.to_date, stages.user_id,
        stages.lifecycle_stage as from_stage, cast(null as {{ dbt.type_string() }}) as to_stage
    from date_pairs
    inner join stages on stages.as_of_date = date_pairs.from_date
    union all
    select date_pairs.from_date, date_pairs.to_date, stages.user_id,
        cast(null as {{ dbt.type_string() }}) as from_stage, stages.lifecycle_stage as to_stage
    from date_pairs
    inner join stages on stages.as_of_date = date_pairs.to_date
),

user_transitions as (
    select
        from_date,
        to_date,
        user_id,
        max(from_stage) as from_stage,
        max(to_stage) as to_stage
    from sides
    group by from_date, to_date, user_id
)

select
    from_date,
    to_date,
    cast(coalesce(from_stage, 'new') as {{ dbt.type_string() }}) as from_stage,
    cast(coalesce(to_stage, 'churned') as {{ dbt.type_string() }}) as to_stage,
    cast(count(*) as {{ dbt.type_bigint() }}) as users,
    cast(sum(case when from_stage is null or to_stage is null then 1 else 0 end) as {{ dbt.type_bigint() }})
        as users_off_spine
from user_transitions
group by from_date, to_date, coalesce(from_stage, 'new'), coalesce(to_stage, 'churned')
