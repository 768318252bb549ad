-- The keys and row hashes of the versions covering S (the state as of S before the fold).
-- grain: one row per key
-- params: $keys, $versions, $s
create or replace temp table _ingest_current as
select $keys, row_hash
from $versions as v
where v.valid_from <= $s and (v.valid_to is null or v.valid_to > $s)
