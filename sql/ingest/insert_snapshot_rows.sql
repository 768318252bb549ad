-- Insert the changed keys' rows of the newest snapshot S, current from S on.
-- grain: one row per changed key
-- params: $versions, $same_key, $s
insert into $versions by name
select v.*, $s as valid_from
from _ingest_snap as v
semi join _ingest_changed as c on $same_key
