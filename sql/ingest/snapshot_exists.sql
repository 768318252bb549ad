-- Whether a snapshot of the kind at the time was loaded before.
-- grain: one row
-- params: $kind, $s
select count(*) > 0 as snapshot_exists
from snapshot_files
where kind = $kind and snapshot_at = $s
