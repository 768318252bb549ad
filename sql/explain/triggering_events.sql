-- The events that made an organization's activity-entry enrollments enter: activities of the
-- entry's type by its members as of the entry, that the entering run processed — those of
-- its window loaded by then, and those of earlier windows loaded after the run before it
-- (`late`: a late arrival, processed with its true time). The run's loads are read from
-- `runs.load_seq_through`. `$properties_match`: each stored version's entry `where` over the
-- activity's properties (`a.properties`), keyed by the enrollment's journey and version.
-- grain: one row per enrollment and triggering event
-- params: $org_id, $journey_id, $at, $properties_match
with entered as (
    select
        e.enrollment_id,
        e.journey_id,
        e.journey_version,
        e.entered_at,
        json_extract_string(j.definition, '$.entry.activity') as activity_type,
        run.load_seq_through as load_seq,
        coalesce(previous.load_seq_through, -1) as prev_load_seq
    from enrollments as e
    inner join journeys as j on j.journey_id = e.journey_id and j.version = e.journey_version
    inner join runs as run on run.window_end = e.entered_at
    left join runs as previous on previous.window_end = run.window_start
    where
        e.org_id = $org_id
        and ($journey_id is null or e.journey_id = $journey_id)
        and e.entered_at <= $at
        and json_extract_string(j.definition, '$.entry.when') = 'activity'
)

select
    entered.enrollment_id,
    a.event_id,
    a.contact_id,
    a.occurred_at,
    a.occurred_at < entered.entered_at - interval 1 hour as late
from entered
inner join activities as a
    on a.activity_type = entered.activity_type
    and a.occurred_at < entered.entered_at
    and a.load_seq <= entered.load_seq
    and $properties_match
    and (
        a.occurred_at >= entered.entered_at - interval 1 hour
        or a.load_seq > entered.prev_load_seq
    )
inner join membership_versions as m
    on m.contact_id = a.contact_id
    and m.org_id = $org_id
    and m.valid_from <= entered.entered_at
    and (m.valid_to is null or m.valid_to > entered.entered_at)
order by entered.enrollment_id, a.occurred_at, a.event_id
