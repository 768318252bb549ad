-- S's row equal to the version starting at N: that version starts at S instead.
-- grain: one row per version extended
-- params: $versions, $changed_key, $same_key, $valid_from, $row_hash, $s, $n
update $versions set valid_from = $s
from (select v.* from _ingest_snap as v semi join _ingest_changed as c on $changed_key) as n
where $same_key and $valid_from = $n and $row_hash = n.row_hash
