-- DuckDB alone: the benchmark's CSV activity files into `activities` in one statement, its
-- own CSV reader parsing the columns to their types (the timestamps as the files write them,
-- ISO 8601 in UTC), without checks, dedupe or a ledger; the CSV twin of `ingest_bound`.
-- (DuckDB's CSV reader has no row number per file; the bound stores 0.)
-- grain: one row per input row
-- params: $files
insert into activities (
    event_id, contact_id, activity_type, occurred_at, properties, load_seq, file, "row_number"
)
select
    event_id, contact_id, activity_type, occurred_at, properties, 0, filename, 0
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
