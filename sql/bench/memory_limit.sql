-- The benchmark's sweeps: the connection's DuckDB memory limit (shared out over the points).
-- grain: one row
-- params: none
select current_setting('memory_limit') as memory_limit
