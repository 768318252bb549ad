-- How many of the file's snapshot times already have a snapshot of the kind.
-- grain: one row
-- params: $kind
select count(*) as existing
from (select distinct __snapshot_at from _ingest_stage) as s
semi join snapshot_files as f on f.snapshot_at = s.__snapshot_at and f.kind = $kind
