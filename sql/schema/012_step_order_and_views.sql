-- The order of steps reached within one run, and the analysts' views over journeys.
-- `step_seq` is the pass of the step walk that reached the step (steps reached in one run share
-- `reached_at`); conversions use it to find the last step reached before them.
alter table enrollment_steps add column if not exists step_seq integer default 0;
-- Likewise for organization updates: of two updates to the same field (or tag) by one
-- enrollment in one run, the one made in the later pass of the walk wins.
alter table org_updates add column if not exists step_seq integer default 0;

-- Per journey, version and step (in the journey's order): enrollments that reached it, sends
-- and suppressions it made, and conversions whose last step it was.
create or replace view journey_funnel as
with steps as (
    select
        journeys.journey_id,
        journeys.version as journey_version,
        position.i + 1 as position,
        json_extract_string(journeys.definition, '$.steps[' || position.i || '].id') as step_id
    from journeys
    cross join lateral (
        select unnest(range(cast(coalesce(json_array_length(journeys.definition, '$.steps'), 0) as bigint))) as i
    ) as position
),
reached as (
    select journey_id, journey_version, step_id, count(distinct enrollment_id) as reached
    from enrollment_steps group by all
),
sent as (
    select journey_id, journey_version, step_id, count(*) as sent from sends group by all
),
suppressed as (
    select journey_id, journey_version, step_id, count(*) as suppressed
    from suppressions group by all
),
converted as (
    select journey_id, journey_version, last_step_id as step_id, count(*) as converted
    from conversions group by all
)
select
    steps.journey_id,
    steps.journey_version,
    steps.position,
    steps.step_id,
    coalesce(reached.reached, 0) as reached,
    coalesce(sent.sent, 0) as sent,
    coalesce(suppressed.suppressed, 0) as suppressed,
    coalesce(converted.converted, 0) as converted
from steps
left join reached using (journey_id, journey_version, step_id)
left join sent using (journey_id, journey_version, step_id)
left join suppressed using (journey_id, journey_version, step_id)
left join converted using (journey_id, journey_version, step_id);

-- Per journey (all versions): enrollments by status, conversions and the conversion rate.
create or replace view journey_summary as
with ids as (
    select distinct journey_id from journeys
),
counts as (
    select
        journey_id,
        count(*) as entered,
        count(*) filter (where status = 'active') as active,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'exited') as exited
    from enrollments
    group by journey_id
),
converted as (
    select journey_id, count(*) as converted from conversions group by journey_id
)
select
    ids.journey_id,
    coalesce(counts.entered, 0) as entered,
    coalesce(counts.active, 0) as active,
    coalesce(counts.completed, 0) as completed,
    coalesce(counts.exited, 0) as exited,
    coalesce(converted.converted, 0) as converted,
    case
        when coalesce(counts.entered, 0) = 0 then null
        else round(coalesce(converted.converted, 0) / counts.entered, 4)
    end as conversion_rate
from ids
left join counts using (journey_id)
left join converted using (journey_id);
