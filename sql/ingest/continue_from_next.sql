-- A changed key's version covering S that reaches past N: its values hold again from N.
-- grain: one row per version continued
-- params: $versions, $same_key, $s, $n
insert into $versions by name
select v.* exclude (valid_from), $n as valid_from
from $versions as v
semi join _ingest_changed as c on $same_key
where v.valid_from <= $s and (v.valid_to is null or v.valid_to > $n)
