-- Append the staged activities whose event_id was not loaded before, nor on an earlier row
-- of the file: one anti-join with the stored events whose ids lie between the file's least
-- and greatest (each with row 0) and the file's own rows. An equal id lies in that range, so
-- the bound loses nothing; it lets the scan skip the row groups outside it, which keeps the
-- cost flat in history when ids grow with time (sequential ids, ULIDs, Snowflake ids), and
-- no worse than an anti-join with every stored event when they do not. (`activities` has
-- no index on purpose: DuckDB's ART index on event_id cost more, docs/performance.md.)
-- grain: one row per new event
-- params: $load_seq, $file
insert into activities (
    event_id, contact_id, activity_type, occurred_at, properties, load_seq, file, "row_number"
)
with loading as (select * from _ingest_stage where __reason is null)
select
    s.event_id, s.contact_id, s.activity_type, s.occurred_at, s.properties,
    $load_seq, $file, s.__row_number
from loading as s
anti join (
    select event_id, 0 as __row_number from activities
    where event_id between (select min(event_id) from loading)
        and (select max(event_id) from loading)
    union all
    select event_id, __row_number from loading
) as seen on seen.event_id = s.event_id and seen.__row_number < s.__row_number
