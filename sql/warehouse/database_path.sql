-- The file of the connection's database (null in memory), to name it in messages.
-- grain: one row
select path from duckdb_databases() where database_name = current_database()
