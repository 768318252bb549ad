-- A changed key whose version ending at S equals its version starting at S: the keys and
-- the later version's end, to join the two.
-- grain: one row per key to merge
-- params: $keys, $versions, $same_key, $changed_key, $s
create or replace temp table _ingest_merged as
select $keys, b.valid_to
from $versions as a
join $versions as b on $same_key
semi join _ingest_changed as c on $changed_key
where a.valid_to = $s and b.valid_from = $s and a.row_hash = b.row_hash
