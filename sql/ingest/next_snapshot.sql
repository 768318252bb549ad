-- The kind's next snapshot time after S (null when S is the newest).
-- grain: one row
-- params: $kind, $s
select min(snapshot_at) as next_at
from snapshot_files
where kind = $kind and snapshot_at > $s
