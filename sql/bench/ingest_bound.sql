-- DuckDB alone: the benchmark's Parquet activity files into `activities` in one statement,
-- without checks, dedupe or a ledger; the bound that `ingest_activities_rows_per_s` is
-- measured against, side by side on the same files.
-- grain: one row per input row
-- params: $files
insert into activities (
    event_id, contact_id, activity_type, occurred_at, properties, load_seq, file, "row_number"
)
select
    event_id, contact_id, activity_type, occurred_at, properties, 0, filename,
    file_row_number + 1
from read_parquet($files, filename = true, file_row_number = true)
