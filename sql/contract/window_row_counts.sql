-- The rows of a contract table written by each window of a range: windows ending after
-- $since and at or before $until, found by the table's column stamped with the window end.
-- grain: one row per window end with rows
-- params: $relation, $window_column, $since, $until
select $window_column as window_end, count(*) as row_count
from $relation
where $window_column > $since and $window_column <= $until
group by 1
order by 1
