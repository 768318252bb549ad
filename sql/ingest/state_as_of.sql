-- The state of a snapshot kind as of a time: the versions covering it, sorted by key.
-- grain: one row per key of the kind
-- params: $columns, $versions, $at, $keys
select $columns
from $versions
where valid_from <= $at and (valid_to is null or valid_to > $at)
order by $keys
