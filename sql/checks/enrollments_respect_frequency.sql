-- Enrollments that should not exist by their version's frequency: in a `once_at_a_time`
-- journey, one entered while another of the same organization was still active; in a `once`
-- journey, any after the first.
-- grain: one row per enrollment and earlier enrollment it conflicts with
-- params: $since, $until
with versions as (
    select
        journey_id,
        version,
        coalesce(json_extract_string(definition, '$.frequency'), 'once') as frequency
    from journeys
)

select
    later.enrollment_id,
    later.journey_id,
    later.org_id,
    later.entered_at,
    versions.frequency,
    earlier.enrollment_id as earlier_enrollment_id,
    earlier.entered_at as earlier_entered_at,
    earlier.ended_at as earlier_ended_at
from enrollments as later
inner join versions
    on versions.journey_id = later.journey_id and versions.version = later.journey_version
inner join enrollments as earlier
    on earlier.journey_id = later.journey_id
    and earlier.org_id = later.org_id
    and (
        earlier.entered_at < later.entered_at
        or (earlier.entered_at = later.entered_at and earlier.enrollment_id < later.enrollment_id)
    )
where
    later.entered_at > $since and later.entered_at <= $until
    and (
        versions.frequency = 'once'
        or (
            versions.frequency = 'once_at_a_time'
            and (earlier.ended_at is null or earlier.ended_at > later.entered_at)
        )
    )
order by later.entered_at, later.enrollment_id
