-- Per journey, version and step (in the journey's order): enrollments that reached it, sends
-- and suppressions it made, and conversions whose last step it was.
-- grain: one row per journey, version and step
-- params: none
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
left join converted using (journey_id, journey_version, step_id)
