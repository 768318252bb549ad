-- Drop one of a file load's temp tables (connection-local).
-- grain: none
-- params: $table
drop table if exists temp.$table
