-- Whether this database has the ledger of applied schema files (a new file has none).
-- grain: one row
select count(*) > 0 as has_ledger
from duckdb_tables()
where database_name = current_database() and table_name = 'schema_migrations'
