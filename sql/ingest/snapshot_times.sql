-- The snapshot times the staged rows give, oldest first.
-- grain: one row per snapshot time
select distinct __snapshot_at as snapshot_at
from _ingest_stage
where __snapshot_at is not null
order by 1
