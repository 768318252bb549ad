-- The number of data rows of a file opened as a relation.
-- grain: one row
-- params: $relation
select count(*) as data_rows from $relation
