-- Organizations that trigger an entry this run: rising edges of filter/tags levels (every
-- match on a journey's first published run), and activity, date and recurring triggers.
-- target: entry_candidates
-- write: temp
-- grain: one row per journey and organization
with edges as (
    select
        entry_levels.journey_id,
        entry_levels.org_id,
        cast(null as date) as date_value
    from entry_levels
    where not exists (
        select 1
        from entry_matches
        where entry_matches.journey_id = entry_levels.journey_id
            and entry_matches.org_id = entry_levels.org_id
    )
),

triggers as (
    select journey_id, org_id, date_value from compiled.entry_triggers
)

select journey_id, org_id, min(date_value) as date_value
from (
    select * from edges
    union all
    select * from triggers
) as candidates
group by journey_id, org_id
