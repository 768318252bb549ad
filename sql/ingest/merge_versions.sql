-- Extend the version ending at S to the end of the equal one starting at S.
-- grain: one row per key merged
-- params: $versions, $same_key, $valid_to, $s
update $versions set valid_to = m.valid_to
from _ingest_merged as m
where $same_key and $valid_to = $s
