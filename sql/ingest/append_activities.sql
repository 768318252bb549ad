-- Append the staged activities whose event_id was not loaded before: the first row of each
-- event_id in the file, then an anti-join (`activities` has no index on purpose).
-- grain: one row per new event
-- params: $load_seq, $file
insert into activities (
    event_id, contact_id, activity_type, occurred_at, properties, load_seq, file, "row_number"
)
select
    s.event_id, s.contact_id, s.activity_type, s.occurred_at, s.properties,
    $load_seq, $file, s.__row_number
from (
    select * from _ingest_stage
    where __reason is null
    qualify row_number() over (partition by event_id order by __row_number) = 1
) as s
anti join activities as a on a.event_id = s.event_id
