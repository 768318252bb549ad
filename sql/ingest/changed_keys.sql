-- K: the keys new at S or with another row at S; and, when S is a new snapshot, the keys it
-- lacks (deleted from S on). $keys are `coalesce(n.key, c.key) as key`; $same_key joins n, c.
-- grain: one row per changed key
-- params: $keys, $same_key, $new_missing, $current_missing, $is_new
create or replace temp table _ingest_changed as
select $keys
from _ingest_snap as n
full join _ingest_current as c on $same_key
where $current_missing or ($new_missing and $is_new) or n.row_hash <> c.row_hash
