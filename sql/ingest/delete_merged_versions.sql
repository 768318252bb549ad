-- Delete the version starting at S that a merge joined to the one before it.
-- grain: one row per key merged
-- params: $versions, $same_key, $valid_from, $s
delete from $versions using _ingest_merged as m
where $same_key and $valid_from = $s
