-- A file joining a snapshot already loaded: reject the rows whose key that snapshot has
-- (the first loaded wins: first by file name, then row number).
-- grain: one row per staged row rejected
-- params: $detail, $versions, $same_key, $kind
update _ingest_stage set __reason = $detail
from $versions as v
where
    _ingest_stage.__reason is null
    and $same_key
    and v.valid_from <= _ingest_stage.__snapshot_at
    and (v.valid_to is null or v.valid_to > _ingest_stage.__snapshot_at)
    and _ingest_stage.__snapshot_at in (select snapshot_at from snapshot_files where kind = $kind)
