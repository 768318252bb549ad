-- The rows of a contract table or view, all of them.
-- grain: one row
-- params: $relation
select count(*) as row_count from $relation
