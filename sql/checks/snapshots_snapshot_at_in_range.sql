-- The snapshot files and the instant each snapshot was taken.
-- grain: one row per snapshot file
-- params: none
select kind, snapshot_at, file
from snapshot_files
order by snapshot_at, kind, file
