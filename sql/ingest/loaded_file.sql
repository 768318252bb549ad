-- The ledger's earlier loads of a file's bytes, with the snapshot time each stated.
-- grain: one row per earlier load of the same content
-- params: $hash
select snapshot_at, kind
from ingested_files
where content_hash = $hash
order by load_seq
