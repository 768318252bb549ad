-- The columns of a table or view and their DuckDB types, in order.
-- grain: one row per column
-- params: $table
select column_name, data_type
from information_schema.columns
where table_name = $table
order by ordinal_position
