-- Cut a changed key's version covering S at S.
-- grain: one row per version cut
-- params: $versions, $same_key, $valid_from, $valid_to, $s
update $versions set valid_to = $s
from _ingest_changed as c
where $same_key and $valid_from < $s and ($valid_to is null or $valid_to > $s)
