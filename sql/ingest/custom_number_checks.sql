-- Whether each numeric column of a Parquet file keeps every digit as a number (a double,
-- exact to 15 digits): $checks are one `bool_and(...)` per column, aliased by its name.
-- grain: one row
-- params: $checks, $relation
select $checks from $relation as r
