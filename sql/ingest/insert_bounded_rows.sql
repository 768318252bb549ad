-- Insert the changed keys' rows of snapshot S for [S, N), unless a version of the key
-- already starts at S (it was extended back to S).
-- grain: one row per changed key
-- params: $versions, $changed_key, $keys, $same_key, $s, $n
insert into $versions by name
select v.*, $s as valid_from, $n as valid_to
from _ingest_snap as v
semi join _ingest_changed as c on $changed_key
anti join (select $keys from $versions where valid_from = $s) as m on $same_key
