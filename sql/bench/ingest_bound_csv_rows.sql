-- DuckDB alone: the benchmark's CSV activity files as `ingest_bound_rows`, its own CSV reader
-- parsing the columns to their types (the timestamps as the files write them, ISO 8601 in
-- UTC); the CSV twin of `ingest_bound_parquet_rows`. (DuckDB's CSV reader has no row number
-- per file; the rows have 0.)
-- grain: one row per input row
-- params: $files
create or replace temp view ingest_bound_rows as
select event_id, contact_id, activity_type, occurred_at, properties, filename as file,
    0 as "row_number"
from read_csv(
    $files,
    header = true,
    filename = true,
    columns = {
        'event_id': 'varchar',
        'contact_id': 'varchar',
        'activity_type': 'varchar',
        'occurred_at': 'timestamp',
        'properties': 'json'
    }
)
