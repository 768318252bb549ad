-- Record the rejected rows with their reason and the original row as JSON text ($raw).
-- grain: one row per rejected row
-- params: $file, $kind, $raw, $load_seq, $rejected_at, $relation
insert into rejected_rows (file, row_number, kind, reason, raw, load_seq, rejected_at)
select $file, s.__row_number, $kind, s.__reason, $raw, $load_seq, $rejected_at
from _ingest_stage as s
join $relation as r on r.__row_number = s.__row_number
where s.__reason is not null
