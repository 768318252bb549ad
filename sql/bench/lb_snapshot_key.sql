-- The benchmark's lower bound: which CRM snapshots are in effect at the window end (the
-- copies of the state are made again only when this changes).
-- grain: one row per snapshot kind
-- params: $window_end
select kind, max(snapshot_at) as snapshot_at
from snapshot_files
where snapshot_at <= $window_end
group by kind
order by kind
