-- An organization's enrollments entered by an instant (one journey's, or every journey's when
-- $journey_id is null), with the entry rule of the version it entered and how it ended.
-- grain: one row per enrollment
-- params: $org_id, $journey_id, $at
select
    e.enrollment_id,
    e.journey_id,
    e.journey_version,
    e.entered_at,
    case when e.ended_at is not null and e.ended_at > $at then 'active' else e.status end
        as status,
    case when e.ended_at <= $at then e.ended_at end as ended_at,
    case when e.ended_at <= $at then e.end_reason end as end_reason,
    e.is_holdout,
    cast(json_extract(j.definition, '$.entry') as varchar) as entry_rule
from enrollments as e
left join journeys as j on j.journey_id = e.journey_id and j.version = e.journey_version
where
    e.org_id = $org_id
    and ($journey_id is null or e.journey_id = $journey_id)
    and e.entered_at <= $at
order by e.entered_at, e.journey_id
