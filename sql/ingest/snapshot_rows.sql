-- The staged rows of the snapshot at S with their row hash ($columns: the versions' columns
-- the stage has; $row_hash over the attributes).
-- grain: one row per key of the snapshot
-- params: $columns, $row_hash, $s
create or replace temp table _ingest_snap as
select $columns, $row_hash as row_hash
from _ingest_stage
where __reason is null and __snapshot_at = $s
